/**
 * Redshift column types mapped to Postgres ones, with Redshift's limits:
 * `TEXT` and length-less `VARCHAR` are VARCHAR(256), lengths count bytes,
 * `DECIMAL` without precision is DECIMAL(18,0), and the Postgres-only types
 * Redshift lacks are refused. [REDSHIFT-FACTS §5 "Data types"]
 */
import { notSupported, StandinError, syntaxError } from './errors.ts';
import { isPunct, isWord, matchParen, type Token } from './sql-lexer.ts';
import { rsVarchar } from './varchar-type.ts';

export interface MappedType {
  /** Postgres type text to emit. */
  pg: string;
  /** VARCHAR(n): n bytes, enforced by a CHECK on octet_length since Postgres counts characters. */
  varcharBytes?: number;
  /** INT or BIGINT: the only types IDENTITY accepts on Redshift. */
  identityOk: boolean;
  /** The type as the user wrote it, for messages. */
  written: string;
}

export const VARCHAR_MAX = 65535;
export const CHAR_MAX = 4096;

/** Types Postgres has and Redshift does not [DG:c_unsupported-postgresql-datatypes]. */
const UNSUPPORTED = new Set([
  'json', 'jsonb', 'bytea', 'uuid', 'interval', 'money', 'xml', 'inet', 'cidr', 'macaddr', 'macaddr8', 'bit', 'varbit',
  'bit varying', 'serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial', 'tsvector', 'tsquery', 'point',
  'line', 'lseg', 'box', 'path', 'polygon', 'circle', 'oid', 'int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange',
  'daterange', 'txid_snapshot', 'pg_lsn', 'hstore', 'citext', 'jsonpath', 'regclass',
]);

/** Redshift types the stand-in has no Postgres equivalent for. */
const NOT_EMULATED = new Set(['super', 'geometry', 'geography', 'hllsketch']);

const MULTI_WORD: string[][] = [
  ['national', 'character', 'varying'],
  ['national', 'char', 'varying'],
  ['character', 'varying'],
  ['char', 'varying'],
  ['national', 'character'],
  ['national', 'char'],
  ['double', 'precision'],
  ['bit', 'varying'],
  ['binary', 'varying'],
];

/**
 * Reads a column type starting at sig[i]; returns the mapping and the index after it.
 * `where` names the column for Redshift's `Column "t.c" has unsupported type "x"` message.
 */
export function readColumnType(sig: Token[], i: number, where: string): { type: MappedType; next: number } {
  const first = sig[i];
  if (!first || (first.kind !== 'word' && first.kind !== 'qident')) throw syntaxError(first?.text ?? 'end of input', first?.start);
  let words = [first.value];
  let j = i + 1;
  for (const combo of MULTI_WORD) {
    if (combo.every((w, k) => isWord(sig[i + k], w))) {
      words = combo;
      j = i + combo.length;
      break;
    }
  }
  let args: string[] = [];
  if (isPunct(sig[j], '(')) {
    const close = matchParen(sig, j);
    if (close < 0) throw syntaxError(sig[j].text, sig[j].start);
    args = sig.slice(j + 1, close).filter((t) => !isPunct(t, ',')).map((t) => t.value.toLowerCase());
    j = close + 1;
  }
  let name = words.join(' ');
  // timestamp/time [(p)] with[out] time zone
  if ((name === 'timestamp' || name === 'time') && isWord(sig[j], 'with', 'without') && isWord(sig[j + 1], 'time') && isWord(sig[j + 2], 'zone')) {
    name = `${name} ${sig[j].value} time zone`;
    j += 3;
  }
  let isArray = false;
  while (isPunct(sig[j], '[')) {
    isArray = true;
    while (j < sig.length && !isPunct(sig[j], ']')) j++;
    j++;
  }
  if (isWord(sig[j], 'array')) {
    isArray = true;
    j++;
    if (isPunct(sig[j], '[')) {
      while (j < sig.length && !isPunct(sig[j], ']')) j++;
      j++;
    }
  }
  const written = sig.slice(i, j).map((t) => t.text).join(' ');
  if (isArray) throw unsupportedType(where, `${name}[]`, first.start);
  if (UNSUPPORTED.has(name)) throw unsupportedType(where, name, first.start);
  if (NOT_EMULATED.has(name)) throw notSupported(`the Redshift stand-in does not emulate type ${name.toUpperCase()}`, first.start);
  return { type: mapType(name, args, written, first.start), next: j };
}

function unsupportedType(where: string, type: string, offset: number): StandinError {
  return new StandinError('0A000', `Column "${where}" has unsupported type "${type}".`, { offset });
}

function lengthArg(args: string[], dflt: number, max: number, typeName: string, offset: number): number {
  if (args.length === 0) return dflt;
  if (args[0] === 'max') return max;
  const n = Number(args[0]);
  if (!Number.isInteger(n) || n < 1) throw new StandinError('22023', `length for type ${typeName} must be at least 1`, { offset });
  if (n > max) throw new StandinError('22023', `length for type ${typeName} cannot exceed ${max}`, { offset });
  return n;
}

function mapType(name: string, args: string[], written: string, offset: number): MappedType {
  const plain = (pg: string, identityOk = false): MappedType => ({ pg, identityOk, written });
  switch (name) {
    case 'smallint':
    case 'int2':
      return plain('smallint');
    case 'integer':
    case 'int':
    case 'int4':
      return plain('integer', true);
    case 'bigint':
    case 'int8':
      return plain('bigint', true);
    case 'decimal':
    case 'numeric': {
      // Redshift: DECIMAL without precision is DECIMAL(18,0); precision at most 38.
      const p = args.length > 0 ? Number(args[0]) : 18;
      const s = args.length > 1 ? Number(args[1]) : 0;
      if (!(p >= 1 && p <= 38) || !(s >= 0 && s <= p)) throw new StandinError('22023', `NUMERIC precision ${p} must be between 1 and 38`, { offset });
      return plain(`numeric(${p},${s})`);
    }
    case 'real':
    case 'float4':
      return plain('real');
    case 'float':
      return plain(args.length > 0 && Number(args[0]) <= 24 ? 'real' : 'double precision');
    case 'double precision':
    case 'float8':
      return plain('double precision');
    case 'boolean':
    case 'bool':
      return plain('boolean');
    case 'char':
    case 'character':
    case 'nchar':
    case 'national character':
    case 'national char':
      return plain(`char(${lengthArg(args, 1, CHAR_MAX, 'char', offset)})`);
    case 'bpchar':
      return plain(`char(${lengthArg(args, 256, CHAR_MAX, 'char', offset)})`);
    case 'varchar':
    case 'character varying':
    case 'char varying':
    case 'nvarchar':
    case 'national character varying':
    case 'national char varying':
    case 'text': {
      // TEXT takes no length on Redshift; it is VARCHAR(256).
      const n = name === 'text' ? 256 : lengthArg(args, 256, VARCHAR_MAX, 'varchar', offset);
      // Compared ignoring trailing blanks (varchar-type.ts).
      return { pg: rsVarchar(n), varcharBytes: n, identityOk: false, written };
    }
    case 'date':
      return plain('date');
    case 'timestamp':
    case 'timestamp without time zone':
      return plain('timestamp');
    case 'timestamptz':
    case 'timestamp with time zone':
      return plain('timestamptz');
    case 'time':
    case 'time without time zone':
      return plain('time');
    case 'timetz':
    case 'time with time zone':
      return plain('timetz');
    case 'varbyte':
    case 'varbinary':
    case 'binary varying':
      return plain('bytea');
    default:
      // Unknown names go to Postgres as written; it reports a missing type itself.
      return plain(written);
  }
}
