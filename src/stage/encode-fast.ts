/**
 * The hot path of Postgres staging: one function per data set, compiled once,
 * that validates a parsed record and writes it as a binary COPY row in one
 * pass, with no row array in between (validate-fast.ts explains why compiled).
 *
 * Like the compiled validator it only ever *accepts*: a record it is unsure
 * of is left unwritten and it returns false, and the caller goes the
 * reference way (validateRecord, which also names the problem, then
 * BinaryRowWriter.row). A property test checks that both ways write the same bytes.
 */
import type { Field } from '../common/datasets.ts';
import type { ValidationLimits } from '../extract/validate.ts';
import type { BinaryRowWriter } from './binary-copy.ts';

export type FastEncoder = (record: unknown, writer: BinaryRowWriter, key: Buffer, line: number) => boolean;

export function compileBinaryEncoder(fields: readonly Field[], limits: ValidationLimits = {}): FastEncoder {
  const steps = fields.map((f) => {
    const absent = f.required ? 'w.abort(); return false;' : 'w.nul();';
    let write: string;
    switch (f.kind) {
      case 'string': {
        const width = limits.enforceWidths && f.maxBytes !== undefined ? ` && v.length * 3 <= ${f.maxBytes}` : '';
        const marker = limits.nullMarker !== undefined ? ` && v !== ${JSON.stringify(limits.nullMarker)}` : '';
        write = `if (typeof v === 'string' && v.indexOf('\\0') === -1 && v.isWellFormed()${width}${marker}) w.str(v);`;
        break;
      }
      case 'int32':
        write = `if (typeof v === 'number' && (v | 0) === v) w.int32(v);`;
        break;
      case 'int64': {
        const range = f.range ? ` && v >= ${f.range.min} && v <= ${f.range.max}` : '';
        write = `if (typeof v === 'number' && Number.isSafeInteger(v)${range}) w.int64(v);`;
        break;
      }
      case 'number':
        write = `if (typeof v === 'number' && Number.isFinite(v)) w.float64(v);`;
        break;
      case 'user_id':
        // "" or up to 9 digits (always within int32); anything else goes the reference way.
        write = `if (typeof v === 'string' && (v === '' || DIGITS9.test(v))) w.str(v); else if (typeof v === 'number' && (v | 0) === v) w.str(String(v));`;
        break;
    }
    return `v = r[${JSON.stringify(f.json)}];
      if (v === undefined || v === null) { ${absent} }
      else ${write} else { w.abort(); return false; }`;
  });
  const body = `
    return function encodeFast(r, w, key, line) {
      if (r === null || typeof r !== 'object' || Array.isArray(r) || Object.getPrototypeOf(r) !== Object.prototype) return false;
      let v;
      w.begin(${fields.length});
      ${steps.join('\n      ')}
      w.end(key, line);
      return true;
    };`;
  return new Function('DIGITS9', body)(/^[0-9]{1,9}$/) as FastEncoder;
}
