/**
 * The hot path of Postgres staging: one function per data set, generated
 * from the validation rule (extract/field-rules.ts) and compiled once, that
 * validates a parsed record and writes it as a binary COPY row in one pass,
 * with no row array in between.
 *
 * Like the compiled validator it only ever *accepts*: a record it is unsure
 * of is left unwritten and it returns false, and the caller goes the
 * reference way (validateRecord, which also names the problem, then
 * BinaryRowWriter.row). A property test checks that both ways write the same bytes.
 */
import type { Field } from '../common/datasets.ts';
import { compilePlain, PLAIN_RECORD, plainFieldsSource } from '../extract/field-rules.ts';
import type { ValidationLimits } from '../extract/validate.ts';
import { BINARY_WRITE, type BinaryRowWriter } from './binary-copy.ts';

export type FastEncoder = (record: unknown, writer: BinaryRowWriter, key: Buffer, line: number) => boolean;

export function compileBinaryEncoder(fields: readonly Field[], limits: ValidationLimits = {}): FastEncoder {
  const fieldSteps = plainFieldsSource(fields, limits, { accept: (i, value) => `w.${BINARY_WRITE[fields[i].kind]}(${value});`, absent: () => 'w.nul();', decline: 'w.abort(); return false;' });
  const source = `function encodeFast(r, w, key, line) {
      if (!(${PLAIN_RECORD})) return false;
      let v;
      w.begin(${fields.length});
      ${fieldSteps}
      w.end(key, line);
      return true;
    }`;
  return compilePlain<FastEncoder>(source);
}
