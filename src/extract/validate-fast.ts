/**
 * The compiled validator: one function per data set and limits, generated
 * from the validation rule (field-rules.ts) and compiled once. It only ever
 * *accepts* a record, and only when every field is plainly valid; the first
 * thing it is unsure about hands the record to `validateRecord`, the
 * reference, which also writes every reject reason. So both always agree —
 * a property test checks that on random records. Used for CSV rows
 * (Redshift); binary rows have their own compiled path (stage/encode-fast.ts).
 */
import type { Field } from '../common/datasets.ts';
import { compilePlain, PLAIN_RECORD, plainFieldsSource } from './field-rules.ts';
import { validateRecord, type Validation, type ValidationLimits, type Value } from './validate.ts';

export type Validator = (value: unknown) => Validation;

export function compileValidator(fields: readonly Field[], limits: ValidationLimits = {}): Validator {
  const fieldSteps = plainFieldsSource(fields, limits, { accept: (i, value) => `row[${i}] = ${value};`, absent: (i) => `row[${i}] = null;`, decline: 'return slow(r);' });
  const source = `function validateFast(r) {
      if (!(${PLAIN_RECORD})) return slow(r);
      const row = new Array(${fields.length});
      let v;
      ${fieldSteps}
      return { ok: true, row };
    }`;
  return compilePlain<Validator>(source, { slow: (r: unknown) => validateRecord(r, fields, limits) });
}

export type { Value };
