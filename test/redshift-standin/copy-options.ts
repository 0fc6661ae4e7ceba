/**
 * Parses Redshift's `COPY table [(cols)] FROM 's3://…' <parameters>` with
 * parameters in any order, and rejects what Redshift rejects: a missing or
 * doubled authorization, a malformed role ARN, incompatible format options,
 * COPY FROM STDIN and Postgres' COPY forms. [REDSHIFT-FACTS §1, §2, §5]
 */
import { internalError, notSupported, StandinError, syntaxError } from './errors.ts';
import { validateCredentials, validateRoles } from './copy-auth.ts';
import { identValue, isPunct, isWord, matchParen, readQualifiedName, splitTopLevel, type Token } from './sql-lexer.ts';

export type CopyFormat = 'text' | 'csv' | 'json';
export type Compression = 'none' | 'gzip' | 'zstd';

export interface CopyCommand {
  /** The table as written (quoting kept), for to_regclass(). */
  tableText: string;
  tableOffset: number;
  columns?: string[];
  from: string;
  format: CopyFormat;
  /** JSON: 'auto', 'auto ignorecase' or the s3:// URL of a JSONPaths file. */
  jsonOption: string;
  quote: string;
  delimiter: string;
  nullAs: string;
  emptyAsNull: boolean;
  blanksAsNull: boolean;
  compression: Compression;
  manifest: boolean;
  ignoreHeader: number;
  ignoreBlankLines: boolean;
  timeFormat?: string;
  dateFormat?: string;
  maxError: number;
  acceptInvChars?: string;
  truncateColumns: boolean;
  roundec: boolean;
  fillRecord: boolean;
  trimBlanks: boolean;
  acceptAnyDate: boolean;
  explicitIds: boolean;
  escape: boolean;
  removeQuotes: boolean;
  noLoad: boolean;
  region?: string;
}

/** Redshift's documented MAXERROR ceiling [DG:copy-parameters-data-load]. */
export const MAXERROR_LIMIT = 100000;

const FLAGS = new Set([
  'emptyasnull', 'blanksasnull', 'gzip', 'zstd', 'manifest', 'ignoreblanklines', 'truncatecolumns', 'roundec', 'fillrecord',
  'trimblanks', 'acceptanydate', 'explicit_ids', 'escape', 'removequotes', 'noload', 'ignoreallerrors',
]);

const NOT_EMULATED = new Set(['bzip2', 'lzop', 'encrypted', 'master_symmetric_key', 'ssh', 'readratio', 'avro', 'parquet', 'orc', 'fixedwidth', 'shapefile', 'serializetojson']);

/** Parses a COPY statement's significant tokens (starting at COPY). */
export function parseCopy(sig: Token[]): CopyCommand {
  let i = 1;
  if (isPunct(sig[i], '(')) throw syntaxError('(', sig[i].start); // COPY (query) TO … [DG: r_COPY]
  const name = readQualifiedName(sig, i);
  if (!name) throw syntaxError(sig[i]?.text ?? 'end of input', sig[i]?.start);
  const tableText = name.text;
  const tableOffset = sig[i].start;
  i = name.next;
  let columns: string[] | undefined;
  if (isPunct(sig[i], '(')) {
    const close = matchParen(sig, i);
    columns = splitTopLevel(sig, i + 1, close).map((p) => {
      const v = p.length === 1 ? identValue(p[0]) : undefined;
      if (v === undefined) throw syntaxError(p[0]?.text ?? ')', p[0]?.start ?? sig[close].start);
      return v;
    });
    i = close + 1;
  }
  if (!isWord(sig[i], 'from')) throw syntaxError(sig[i]?.text ?? 'end of input', sig[i]?.start);
  i++;
  const source = sig[i];
  if (!source || source.kind !== 'string') throw syntaxError(source?.text ?? 'end of input', source?.start);
  if (!source.value.startsWith('s3://')) {
    if (/^(emr|dynamodb):\/\//.test(source.value)) throw notSupported('the Redshift stand-in only emulates COPY from Amazon S3', source.start);
    throw new StandinError('0A000', 'LOAD source is not supported. (Hint: only S3 or DynamoDB or EMR based load is allowed)', { offset: source.start });
  }
  i++;
  return parseParameters(sig, i, { tableText, tableOffset, columns, from: source.value });
}

interface Seen {
  set(what: string, t: Token): void;
  has(what: string): boolean;
}

function parseParameters(sig: Token[], i: number, head: Pick<CopyCommand, 'tableText' | 'tableOffset' | 'columns' | 'from'>): CopyCommand {
  const cmd: CopyCommand = {
    ...head,
    format: 'text',
    jsonOption: 'auto',
    quote: '"',
    delimiter: '|',
    nullAs: '\\N',
    emptyAsNull: false,
    blanksAsNull: false,
    compression: 'none',
    manifest: false,
    ignoreHeader: 0,
    ignoreBlankLines: false,
    maxError: 0,
    truncateColumns: false,
    roundec: false,
    fillRecord: false,
    trimBlanks: false,
    acceptAnyDate: false,
    explicitIds: false,
    escape: false,
    removeQuotes: false,
    noLoad: false,
  };
  const seenWords = new Map<string, Token>();
  const seen: Seen = {
    set(what, t) {
      if (seenWords.has(what)) throw new StandinError('42601', 'conflicting or redundant options', { offset: t.start });
      seenWords.set(what, t);
    },
    has: (what) => seenWords.has(what),
  };
  const auth: string[] = [];
  let delimiterSet = false;
  const skipAs = (): void => {
    if (isWord(sig[i], 'as')) i++;
  };
  const str = (): string => {
    const t = sig[i];
    if (!t || t.kind !== 'string') throw syntaxError(t?.text ?? 'end of input', t?.start);
    i++;
    return t.value;
  };
  const int = (): number => {
    const t = sig[i];
    const text = t?.kind === 'number' || t?.kind === 'string' ? t.value : '';
    if (!/^\d+$/.test(text)) throw syntaxError(t?.text ?? 'end of input', t?.start);
    i++;
    return Number(text);
  };
  while (i < sig.length) {
    const t = sig[i];
    if (t.kind !== 'word') throw syntaxError(t.text, t.start);
    const word = t.value;
    i++;
    if (NOT_EMULATED.has(word)) throw notSupported(`the Redshift stand-in does not emulate COPY ${word.toUpperCase()}`, t.start);
    switch (word) {
      case 'iam_role': {
        seen.set(word, t);
        auth.push('IAM_ROLE');
        if (isWord(sig[i], 'default')) i++;
        else validateRoles(str(), t);
        break;
      }
      case 'access_key_id':
      case 'secret_access_key':
      case 'session_token':
        seen.set(word, t);
        if (word === 'access_key_id') auth.push('ACCESS_KEY_ID');
        str();
        break;
      case 'with':
        if (!isWord(sig[i], 'credentials')) throw syntaxError(sig[i]?.text ?? 'end of input', sig[i]?.start);
        break;
      case 'credentials':
        seen.set(word, t);
        auth.push('CREDENTIALS');
        skipAs();
        validateCredentials(str());
        break;
      case 'format':
        skipAs();
        if (!isWord(sig[i], 'csv', 'json')) {
          const f = sig[i];
          if (f?.kind === 'word' && NOT_EMULATED.has(f.value)) throw notSupported(`the Redshift stand-in does not emulate COPY FORMAT ${f.value.toUpperCase()}`, f.start);
          throw syntaxError(f?.text ?? 'end of input', f?.start);
        }
        break;
      case 'csv':
        if (cmd.format === 'json') throw new StandinError('42601', 'JSON is not compatible with CSV', { offset: t.start });
        seen.set('format', t);
        cmd.format = 'csv';
        break;
      case 'quote':
        seen.set(word, t);
        skipAs();
        cmd.quote = str();
        if ([...cmd.quote].length !== 1) throw new StandinError('42601', 'QUOTE must be a single character', { offset: t.start });
        break;
      case 'json':
        if (cmd.format === 'csv') throw new StandinError('42601', 'JSON is not compatible with CSV', { offset: t.start });
        seen.set('format', t);
        cmd.format = 'json';
        skipAs();
        if (sig[i]?.kind === 'string') {
          const opt = str();
          if (opt === 'auto' || opt === 'auto ignorecase' || opt.startsWith('s3://')) cmd.jsonOption = opt;
          else if (opt === 'noshred') throw notSupported("the Redshift stand-in does not emulate JSON 'noshred'", t.start);
          else throw internalError(`Invalid JSON option: '${opt}'. Expected 'auto', 'auto ignorecase' or an s3:// JSONPaths file`);
        }
        break;
      case 'delimiter':
        seen.set(word, t);
        skipAs();
        cmd.delimiter = decodeDelimiter(str(), t);
        delimiterSet = true;
        break;
      case 'null':
        seen.set(word, t);
        skipAs();
        cmd.nullAs = str();
        break;
      case 'ignoreheader':
        seen.set(word, t);
        skipAs();
        cmd.ignoreHeader = int();
        break;
      case 'maxerror': {
        seen.set(word, t);
        skipAs();
        const at = sig[i];
        cmd.maxError = int();
        if (cmd.maxError > MAXERROR_LIMIT) throw new StandinError('22023', `MAXERROR argument must be between 0 and ${MAXERROR_LIMIT}`, { offset: at.start });
        break;
      }
      case 'timeformat':
      case 'dateformat':
        seen.set(word, t);
        skipAs();
        if (word === 'timeformat') cmd.timeFormat = str();
        else cmd.dateFormat = str();
        break;
      case 'acceptinvchars':
        seen.set(word, t);
        skipAs();
        cmd.acceptInvChars = sig[i]?.kind === 'string' ? str() : '?';
        if (Buffer.byteLength(cmd.acceptInvChars) !== 1) throw new StandinError('22023', 'ACCEPTINVCHARS replacement must be a single ASCII character', { offset: t.start });
        break;
      case 'region':
        seen.set(word, t);
        skipAs();
        cmd.region = str();
        break;
      case 'compupdate':
        seen.set(word, t);
        if (isWord(sig[i], 'preset', 'on', 'true', 'off', 'false')) i++;
        break;
      case 'statupdate':
        seen.set(word, t);
        if (isWord(sig[i], 'on', 'true', 'off', 'false')) i++;
        break;
      case 'comprows':
        seen.set(word, t);
        int();
        break;
      default:
        if (!FLAGS.has(word)) throw syntaxError(t.text, t.start);
        seen.set(word, t);
        applyFlag(cmd, word);
        if (word === 'manifest' && isWord(sig[i], 'verbose')) i++;
    }
  }
  if (cmd.format === 'csv' && !delimiterSet) cmd.delimiter = ',';
  validateCombinations(cmd, seen, auth, sig);
  return cmd;
}

function applyFlag(cmd: CopyCommand, word: string): void {
  switch (word) {
    case 'emptyasnull': cmd.emptyAsNull = true; break;
    case 'blanksasnull': cmd.blanksAsNull = true; break;
    case 'gzip': cmd.compression = 'gzip'; break;
    case 'zstd': cmd.compression = 'zstd'; break;
    case 'manifest': cmd.manifest = true; break;
    case 'ignoreblanklines': cmd.ignoreBlankLines = true; break;
    case 'truncatecolumns': cmd.truncateColumns = true; break;
    case 'roundec': cmd.roundec = true; break;
    case 'fillrecord': cmd.fillRecord = true; break;
    case 'trimblanks': cmd.trimBlanks = true; break;
    case 'acceptanydate': cmd.acceptAnyDate = true; break;
    case 'explicit_ids': cmd.explicitIds = true; break;
    case 'escape': cmd.escape = true; break;
    case 'removequotes': cmd.removeQuotes = true; break;
    case 'noload': cmd.noLoad = true; break;
    case 'ignoreallerrors': cmd.maxError = Number.MAX_SAFE_INTEGER; break;
  }
}

function validateCombinations(cmd: CopyCommand, seen: Seen, auth: string[], sig: Token[]): void {
  const at = (what: string): number | undefined => sig.find((t) => t.kind === 'word' && t.value === what)?.start;
  if (seen.has('ignoreallerrors') && seen.has('maxerror')) throw new StandinError('42601', 'MAXERROR cannot be used with IGNOREALLERRORS', { offset: at('maxerror') });
  if (cmd.format === 'csv') {
    for (const other of ['escape', 'removequotes']) {
      if (seen.has(other)) throw new StandinError('42601', `CSV is not compatible with ${other.toUpperCase()}`, { offset: at(other) });
    }
  }
  if (seen.has('quote') && cmd.format !== 'csv') throw new StandinError('42601', 'QUOTE argument is only allowed with CSV', { offset: at('quote') });
  if (cmd.format === 'json') {
    const clash: [string, string][] = [['delimiter', 'DELIMITER'], ['escape', 'ESCAPE'], ['fillrecord', 'FILLRECORD'], ['ignoreblanklines', 'IGNOREBLANKLINES'], ['null', 'NULL AS'], ['removequotes', 'REMOVEQUOTES']];
    for (const [key, label] of clash) {
      if (seen.has(key)) throw new StandinError('42601', `JSON is not compatible with ${label}`, { offset: at(key) });
    }
  }
  if (auth.length === 0) {
    throw new StandinError('42601', 'COPY needs authorization: IAM_ROLE, CREDENTIALS, or ACCESS_KEY_ID and SECRET_ACCESS_KEY');
  }
  if (auth.length > 1) throw new StandinError('42601', `conflicting authorization parameters: ${auth.join(' and ')}`);
  if (seen.has('access_key_id') !== seen.has('secret_access_key') || (seen.has('session_token') && !seen.has('access_key_id'))) {
    throw new StandinError('42601', 'ACCESS_KEY_ID and SECRET_ACCESS_KEY must be given together');
  }
}

/** DELIMITER takes one character; `'\t'` and octal `'\ddd'` are understood as Redshift does. */
function decodeDelimiter(raw: string, t: Token): string {
  let value = raw;
  if (raw === '\\t') value = '\t';
  else if (/^\\[0-7]{3}$/.test(raw)) value = String.fromCharCode(parseInt(raw.slice(1), 8));
  if (Buffer.byteLength(value) !== 1) {
    throw notSupported('the Redshift stand-in only emulates single-byte delimiters', t.start);
  }
  return value;
}
