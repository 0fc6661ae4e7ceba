/**
 * Token-level rewrites every statement gets before it reaches Postgres:
 * Redshift system tables resolve to the stand-in's schema whatever the
 * client's search_path, the per-session COPY functions get their values as
 * literals, and a few Redshift built-ins map to Postgres ones. Edits keep a
 * map back to the original text so error positions still point at what the
 * client sent.
 */
import type { Edit } from './ddl-rewrite.ts';
import { StandinError } from './errors.ts';
import { isPunct, isWord, quoteIdent, type Token } from './sql-lexer.ts';

export const SYS_SCHEMA = 'standin_sys';

/** Redshift system relations the stand-in provides (load-errors.ts creates them). */
const SYSTEM_RELATIONS = new Set(['stl_load_errors', 'sys_load_error_detail', 'sys_load_history']);

/** System views of provisioned clusters only (STL, STV, SVL, SVCS) [DG:c_intro_system_views]. */
const PROVISIONED_ONLY = /^(stl|stv|svl|svcs)_/;

/** The first relation a statement names that only provisioned clusters have, if any. */
export function provisionedOnlyRelation(sig: Token[]): Token | undefined {
  return sig.find((t, i) => {
    const name = t.kind === 'word' || t.kind === 'qident' ? t.value.toLowerCase() : '';
    if (!PROVISIONED_ONLY.test(name) || isPunct(sig[i + 1], '(')) return false;
    // `pg_catalog.stl_x` is the system view too; any other qualifier names a user table.
    return !isPunct(sig[i - 1], '.') || isWord(sig[i - 2], 'pg_catalog');
  });
}

export interface CopyFunctionValues {
  lastCopyId: number;
  lastCopyCount: number;
}

/**
 * Edits for string literals, quoted identifiers, system relations,
 * pg_last_copy_id()/pg_last_copy_count(), version(), GETDATE(), SYSDATE, NVL, LEN.
 */
export function systemRewrites(sig: Token[], values: CopyFunctionValues): Edit[] {
  const edits: Edit[] = [];
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i];
    if (t.kind === 'string' && !t.text.startsWith('$') && t.text.includes('\\')) {
      // The client's literal took Redshift's backslash escapes (sql-lexer.ts); Postgres reads
      // '…' with standard_conforming_strings on, so it gets the decoded value re-quoted.
      if (t.value.includes('\0')) throw new StandinError('22021', 'invalid byte sequence for encoding "UTF8": 0x00', { offset: t.start });
      edits.push({ start: t.start, end: t.end, text: `'${t.value.replaceAll("'", "''")}'` });
      continue;
    }
    if (t.kind === 'qident' && t.value !== t.value.toLowerCase()) {
      // Redshift folds quoted identifiers to lower case too (enable_case_sensitive_identifier is off by default),
      // result column aliases included.
      edits.push({ start: t.start, end: t.end, text: quoteIdent(t.value.toLowerCase()) });
      continue;
    }
    const name = t.kind === 'word' ? t.value : t.kind === 'qident' ? t.value : undefined;
    if (name === undefined) continue;
    // `pg_catalog.x` counts as unqualified; any other qualifier means a user object.
    const catalogPrefix = isPunct(sig[i - 1], '.') && isWord(sig[i - 2], 'pg_catalog');
    if (isPunct(sig[i - 1], '.') && !catalogPrefix) continue;
    if (isPunct(sig[i + 1], '.')) continue;
    const start = catalogPrefix ? sig[i - 2].start : t.start;
    const call = isPunct(sig[i + 1], '(') && isPunct(sig[i + 2], ')');
    if (SYSTEM_RELATIONS.has(name) && !isPunct(sig[i + 1], '(')) {
      edits.push({ start, end: t.end, text: `${SYS_SCHEMA}.${name}` });
    } else if (t.kind !== 'word') {
      continue;
    } else if (call && name === 'pg_last_copy_id') {
      // A function of the literal keeps the column name `pg_last_copy_id`, as on Redshift.
      edits.push({ start, end: sig[i + 2].end, text: `${SYS_SCHEMA}.pg_last_copy_id(${values.lastCopyId})` });
    } else if (call && name === 'pg_last_copy_count') {
      edits.push({ start, end: sig[i + 2].end, text: `${SYS_SCHEMA}.pg_last_copy_count(${values.lastCopyCount})` });
    } else if (call && (name === 'version' || name === 'getdate' || name === 'db_collation')) {
      edits.push({ start, end: sig[i + 2].end, text: `${SYS_SCHEMA}.${name}()` });
    } else if (name === 'sysdate' && !isPunct(sig[i + 1], '(') && !catalogPrefix) {
      edits.push({ start, end: t.end, text: `${SYS_SCHEMA}.sysdate()` });
    } else if (name === 'nvl' && isPunct(sig[i + 1], '(')) {
      edits.push({ start, end: t.end, text: 'coalesce' });
    } else if (name === 'len' && isPunct(sig[i + 1], '(')) {
      edits.push({ start, end: t.end, text: 'length' });
    }
  }
  return edits;
}

export interface Rewritten {
  text: string;
  /** Maps an offset in the rewritten text back to the text the edits were applied to. */
  toOriginal(offset: number): number;
}

interface Segment {
  outStart: number;
  outEnd: number;
  inStart: number;
  replaced: boolean;
}

/** Applies non-overlapping edits; an offset inside a replacement maps to the start of what it replaced. */
export function applyEdits(text: string, edits: Edit[]): Rewritten {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const segments: Segment[] = [];
  let out = '';
  let at = 0;
  const keep = (to: number): void => {
    if (to <= at) return;
    segments.push({ outStart: out.length, outEnd: out.length + (to - at), inStart: at, replaced: false });
    out += text.slice(at, to);
    at = to;
  };
  for (const e of sorted) {
    if (e.start < at) continue; // overlapping edit: the first one wins
    keep(e.start);
    segments.push({ outStart: out.length, outEnd: out.length + e.text.length, inStart: e.start, replaced: true });
    out += e.text;
    at = e.end;
  }
  keep(text.length);
  return {
    text: out,
    toOriginal(offset: number): number {
      const seg = segments.find((s) => offset >= s.outStart && offset < s.outEnd) ?? segments.at(-1);
      if (!seg) return offset;
      return seg.replaced ? seg.inStart : seg.inStart + Math.min(offset - seg.outStart, seg.outEnd - seg.outStart);
    },
  };
}

/** Composes two rewrites: text0 → first → second. */
export function chain(first: Rewritten, second: Rewritten): Rewritten {
  return { text: second.text, toOriginal: (offset) => first.toOriginal(second.toOriginal(offset)) };
}
