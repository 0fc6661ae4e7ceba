/**
 * One input record (a CSV/text record or a JSON root value) to one table row,
 * or to the STL_LOAD_ERRORS row describing why Redshift would skip it.
 */
import type { CopyCommand } from './copy-options.ts';
import type { RawRecord } from './csv-reader.ts';
import { evaluate, type JsonPath } from './json-paths.ts';
import { JsonSyntaxError, parseJson, type JsonPiece, type JsonValue } from './json-reader.ts';
import type { LoadErrorRow } from './load-errors.ts';
import { findInvalidUtf8, replaceInvalidUtf8, utf8Reason } from './utf8.ts';
import { convertDelimited, convertJson, describeColumn, isCharKind, settleNull, type Cell, type Conversion, type ConvertOptions, type TargetColumn } from './value-convert.ts';

export type RowResult = { ok: true; cells: Cell[] } | { ok: false; error: Omit<LoadErrorRow, 'filename'> };

const decoder = new TextDecoder('utf-8');

interface ErrorSite {
  line: number;
  rawLine: string;
  col?: TargetColumn;
  position?: number;
  rawField?: string;
}

function loadError(site: ErrorSite, code: number, reason: string): RowResult {
  const desc = site.col ? describeColumn(site.col) : { type: '', length: '' };
  return {
    ok: false,
    error: {
      lineNumber: site.line,
      colname: site.col?.name ?? '',
      type: desc.type,
      colLength: desc.length,
      position: site.position ?? 0,
      rawLine: site.rawLine,
      rawFieldValue: site.rawField ?? '',
      errCode: code,
      errReason: reason,
    },
  };
}

/** NUL cannot be stored (Postgres text) and Redshift fails such rows too [REDSHIFT-FACTS §9]. */
const NUL_REASON = 'String contains invalid or unsupported UTF-8 codepoints. Bad UTF-8 hex sequence: 00 (NUL byte)';

function finish(conv: Conversion, site: ErrorSite): RowResult | Cell {
  if (!conv.ok) return loadError(site, conv.error.code, conv.error.reason);
  if (typeof conv.value === 'string' && conv.value.includes('\0')) return loadError(site, 1220, NUL_REASON);
  return conv.value;
}

const isResult = (v: RowResult | Cell): v is RowResult => typeof v === 'object' && v !== null;

/** A CSV or delimited-text record. */
export function delimitedRow(rec: RawRecord, targets: TargetColumn[], cmd: CopyCommand, opts: ConvertOptions): RowResult {
  const rawLine = decoder.decode(rec.raw);
  const base: ErrorSite = { line: rec.line, rawLine };
  if (rec.problem) return loadError(base, rec.problem.code, rec.problem.reason);
  if (rec.fields.length > targets.length) return loadError(base, 1202, 'Extra column(s) found');
  if (rec.fields.length < targets.length && !cmd.fillRecord) return loadError(base, 1203, 'Input data had fewer columns than were defined in the DDL');
  const cells: Cell[] = [];
  for (let k = 0; k < targets.length; k++) {
    const col = targets[k];
    const field = rec.fields[k];
    if (!field) {
      // FILLRECORD: missing character columns are zero-length strings, the rest NULL [DG:copy-parameters-data-conversion].
      const v = finish(settleNull(col, isCharKind(col) ? '' : null), { ...base, col });
      if (isResult(v)) return v;
      cells.push(v);
      continue;
    }
    const site: ErrorSite = { ...base, col, position: field.offset, rawField: decoder.decode(field.raw) };
    let bytes = field.bytes;
    if (bytes.includes(0)) return loadError(site, 1220, NUL_REASON);
    const bad = findInvalidUtf8(bytes);
    if (bad) {
      if (cmd.acceptInvChars === undefined || col.kind !== 'varchar') return loadError(site, 1220, utf8Reason(bytes, bad));
      bytes = replaceInvalidUtf8(bytes, cmd.acceptInvChars);
    }
    const text = decoder.decode(bytes);
    // NULL AS matches the field whether quoted or not (unlike Postgres CSV); with ESCAPE it is matched before unescaping.
    const nullMatch = cmd.escape ? site.rawField === cmd.nullAs : text === cmd.nullAs;
    const v = finish(nullMatch ? settleNull(col, null) : convertDelimited(col, text, opts), site);
    if (isResult(v)) return v;
    cells.push(v);
  }
  return { ok: true, cells };
}

/** How JSON values reach columns: a JSONPaths list, or 'auto' key matching. */
export type JsonMapping = { paths: JsonPath[] } | { ignoreCase: boolean };

/** A root JSON value (or a piece of input that is not one). */
export function jsonRow(piece: JsonPiece, targets: TargetColumn[], mapping: JsonMapping, cmd: CopyCommand, opts: ConvertOptions): RowResult {
  if (piece.kind === 'oversize') {
    return loadError({ line: piece.line, rawLine: decoder.decode(piece.head) }, 1216, 'Invalid JSON: object exceeds the 4 MB maximum size');
  }
  let bytes = piece.bytes;
  const base: ErrorSite = { line: piece.line, rawLine: decoder.decode(bytes) };
  if (piece.kind === 'garbage') return loadError(base, 1216, `Invalid JSON: unexpected text between JSON objects: '${base.rawLine.slice(0, 40)}'`);
  if (piece.kind === 'unterminated') return loadError(base, 1216, 'Invalid JSON: unterminated object at end of file');
  if (bytes.includes(0)) return loadError(base, 1220, NUL_REASON);
  const bad = findInvalidUtf8(bytes);
  if (bad) {
    if (cmd.acceptInvChars === undefined) return loadError(base, 1220, utf8Reason(bytes, bad));
    bytes = replaceInvalidUtf8(bytes, cmd.acceptInvChars);
  }
  let root: JsonValue;
  try {
    root = parseJson(decoder.decode(bytes));
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    return loadError(base, 1216, `Invalid JSON: ${err.message}`);
  }
  if (!('paths' in mapping) && root.t !== 'obj') return loadError(base, 1216, 'Invalid JSONPath format: Member is not an object.');
  const lookup = 'paths' in mapping ? undefined : keyLookup(root as Extract<JsonValue, { t: 'obj' }>, mapping.ignoreCase);
  const cells: Cell[] = [];
  for (let k = 0; k < targets.length; k++) {
    const col = targets[k];
    const value = 'paths' in mapping ? evaluate(mapping.paths[k], root) : lookup?.(col.name);
    const site: ErrorSite = { ...base, col, rawField: rawOf(value) };
    const v = finish(convertJson(col, value, opts), site);
    if (isResult(v)) return v;
    cells.push(v);
  }
  return { ok: true, cells };
}

/** 'auto' matches keys to column names case-sensitively; 'auto ignorecase' does not. */
function keyLookup(root: Extract<JsonValue, { t: 'obj' }>, ignoreCase: boolean): (name: string) => JsonValue | undefined {
  if (!ignoreCase) return (name) => root.v.get(name);
  const folded = new Map<string, JsonValue>();
  for (const [k, v] of root.v) folded.set(k.toLowerCase(), v);
  return (name) => folded.get(name.toLowerCase());
}

function rawOf(v: JsonValue | undefined): string {
  if (v === undefined || v.t === 'null') return '';
  if (v.t === 'str') return v.v;
  if (v.t === 'num') return v.raw;
  if (v.t === 'bool') return String(v.v);
  return v.raw;
}
