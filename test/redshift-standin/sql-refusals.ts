/**
 * Postgres SQL that Redshift does not have, refused with Redshift's error
 * (or as close as the sources let us get). Works on tokens, so words inside
 * string literals, quoted identifiers and comments never trigger a refusal.
 * [REDSHIFT-FACTS §5]
 */
import { notSupported, StandinError, syntaxError } from './errors.ts';
import { checkSetting } from './settings.ts';
import { isPunct, isWord, matchParen, splitTopLevel, type Token } from './sql-lexer.ts';

/**
 * Functions Redshift lacks. The advisory-lock family and sequences come from
 * REDSHIFT-FACTS §5; the aggregates and JSON builders are Postgres-only too
 * (Redshift has LISTAGG and SUPER instead).
 */
const MISSING_FUNCTIONS = new Set([
  'nextval', 'currval', 'setval', 'lastval',
  'string_agg', 'array_agg', 'json_agg', 'jsonb_agg', 'json_build_object', 'jsonb_build_object', 'to_json', 'to_jsonb',
  'row_to_json', 'json_object_agg', 'jsonb_object_agg', 'unnest', 'gen_random_uuid',
]);

const isAdvisoryLock = (name: string): boolean => /^pg_(try_)?advisory_/.test(name);

/** Types Redshift lacks, when used in a `::type` cast. */
const MISSING_CAST_TYPES = new Set(['json', 'jsonb', 'uuid', 'jsonpath']);

/** Leader-node-only functions [DG:c_SQL_functions_leader_node_only]: an error next to a user or system table. */
const LEADER_ONLY = new Set(['now']);

/** Whether a statement names a table outside the catalog (after FROM, JOIN, INTO, UPDATE, TABLE). */
function referencesTables(sig: Token[]): boolean {
  return sig.some((t, i) => {
    if (!isWord(sig[i - 1], 'from', 'join', 'into', 'update', 'table') || (t.kind !== 'word' && t.kind !== 'qident')) return false;
    const name = t.value.toLowerCase();
    return !name.startsWith('pg_') && name !== 'information_schema';
  });
}

/** Throws the Redshift error for the first unsupported construct in a statement. */
export function checkRefusals(sig: Token[]): void {
  checkStatementForm(sig);
  const leaderOnly = sig.find((t, i) => t.kind === 'word' && LEADER_ONLY.has(t.value) && isPunct(sig[i + 1], '(') && !isPunct(sig[i - 1], '.'));
  if (leaderOnly && referencesTables(sig)) {
    throw new StandinError('0A000', 'Specified types or functions (one per INFO message) not supported on Redshift tables.', { offset: leaderOnly.start });
  }
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i];
    const prev = sig[i - 1];
    // No E'…' strings: Postgres 8.0 reads E as the name of a type [GH:npgsql/npgsql#515].
    if (t.kind === 'string' && t.prefix?.toLowerCase() === 'e') throw new StandinError('42704', 'type "e" does not exist', { offset: t.start });
    if (t.kind !== 'word') continue;
    if (t.value === 'returning') throw syntaxError(t.text, t.start);
    if (t.value === 'on' && isWord(sig[i + 1], 'conflict') && (isPunct(sig[i + 2], '(') || isWord(sig[i + 2], 'do', 'on'))) {
      throw syntaxError(t.text, t.start);
    }
    if (t.value === 'distinct' && isWord(sig[i + 1], 'on')) throw notSupported('SELECT DISTINCT ON is not supported', t.start);
    if (t.value === 'generated' && isWord(sig[i + 1], 'always')) throw syntaxError(sig[i + 1].text, sig[i + 1].start);
    const qualified = isPunct(prev, '.') && !(sig[i - 2]?.kind === 'word' && sig[i - 2].value === 'pg_catalog');
    if (!qualified && isPunct(sig[i + 1], '(') && (MISSING_FUNCTIONS.has(t.value) || isAdvisoryLock(t.value))) {
      throw missingFunction(sig, i);
    }
    if (prev?.kind === 'op' && prev.text === '::' && MISSING_CAST_TYPES.has(t.value)) {
      throw new StandinError('42704', `type "${t.value}" does not exist`, { offset: t.start });
    }
    // Aggregate FILTER (WHERE …) is Postgres-only.
    if (t.value === 'filter' && isPunct(prev, ')') && isPunct(sig[i + 1], '(') && isWord(sig[i + 2], 'where')) {
      throw syntaxError('(', sig[i + 1].start);
    }
    // A VALUES list used as a constant table [DG:c_unsupported-postgresql-features].
    if (t.value === 'values' && isPunct(prev, '(')) {
      throw notSupported('VALUES list as a constant table is not supported', t.start);
    }
  }
}

/** `function name(argtypes) does not exist`, with argument types guessed from literals as Postgres would show them. */
function missingFunction(sig: Token[], i: number): StandinError {
  const close = matchParen(sig, i + 1);
  const args = close > i + 2 ? splitTopLevel(sig, i + 2, close) : [];
  const types = args.map((a) => {
    const castAt = a.findLastIndex((x) => x.kind === 'op' && x.text === '::');
    if (castAt >= 0 && a[castAt + 1]) return a[castAt + 1].value;
    if (a.length === 1 && a[0].kind === 'number') return /^\d+$/.test(a[0].text) && Number(a[0].text) <= 2147483647 ? 'integer' : /^\d+$/.test(a[0].text) ? 'bigint' : 'numeric';
    if (a.length === 1 && a[0].kind === 'string') return 'unknown';
    return isAdvisoryLock(sig[i].value) ? 'bigint' : 'unknown';
  });
  return new StandinError('42883', `function ${sig[i].value}(${types.join(', ')}) does not exist`, {
    offset: sig[i].start,
    hint: 'No function matches the given name and argument types. You may need to add explicit type casts.',
  });
}

/** Checks that depend on the statement's leading keywords. */
function checkStatementForm(sig: Token[]): void {
  const [a, b, c] = sig;
  if (isWord(a, 'create')) {
    const kind = isWord(b, 'unique') ? c : b;
    if (isWord(kind, 'index')) throw notSupported('CREATE INDEX is not supported', kind.start);
    if (isWord(b, 'sequence') || (isWord(b, 'temp', 'temporary') && isWord(c, 'sequence'))) throw syntaxError(isWord(b, 'sequence') ? b.text : c.text, (isWord(b, 'sequence') ? b : c).start);
  }
  if (isWord(a, 'create') && isWord(b, 'schema')) {
    // Redshift: "the schema can't be named PUBLIC", IF NOT EXISTS or not [DG:r_CREATE_SCHEMA].
    const name = isWord(c, 'if') ? sig[5] : c;
    if (name && (name.kind === 'word' || name.kind === 'qident') && name.value.toLowerCase() === 'public') {
      throw new StandinError('42P06', 'schema "public" already exists', { offset: name.start });
    }
  }
  if (isWord(a, 'alter', 'drop') && isWord(b, 'sequence')) throw syntaxError(b.text, b.start);
  if (isWord(a, 'alter', 'drop') && isWord(b, 'index')) throw notSupported(`${a.value.toUpperCase()} INDEX is not supported`, b.start);
  if (isWord(a, 'deallocate') && isWord(b, 'all')) throw notSupported('DEALLOCATE ALL is not supported', b.start);
  checkSetting(sig);
  if (isWord(a, 'truncate')) checkTruncate(sig);
  if (isWord(a, 'merge')) checkMerge(sig, 0);
  if (isWord(a, 'with')) {
    const merge = sig.findIndex((t) => isWord(t, 'merge'));
    if (merge > 0 && depthAt(sig, merge) === 0) throw syntaxError(sig[merge].text, sig[merge].start);
  }
  if (isWord(a, 'unload')) throw notSupported('the Redshift stand-in does not emulate UNLOAD', a.start);
  if (isWord(a, 'listen', 'notify', 'unlisten')) throw notSupported(`${a.value.toUpperCase()} is not supported`, a.start);
}

function depthAt(sig: Token[], at: number): number {
  let depth = 0;
  for (let i = 0; i < at; i++) {
    if (isPunct(sig[i], '(')) depth++;
    if (isPunct(sig[i], ')')) depth--;
  }
  return depth;
}

/** Redshift's TRUNCATE takes one table and no options [DG:r_TRUNCATE]. */
function checkTruncate(sig: Token[]): void {
  let i = 1;
  if (isWord(sig[i], 'table')) i++;
  if (isWord(sig[i], 'only')) throw syntaxError(sig[i].text, sig[i].start);
  while (i < sig.length && (sig[i].kind === 'word' || sig[i].kind === 'qident' || isPunct(sig[i], '.'))) {
    if (isWord(sig[i], 'cascade', 'restrict', 'restart', 'continue')) throw syntaxError(sig[i].text, sig[i].start);
    i++;
  }
  if (i < sig.length) throw syntaxError(sig[i].text, sig[i].start);
}

/**
 * MERGE restrictions that need no catalog [REDSHIFT-FACTS §5 MERGE]: the source is
 * a table (not a subquery), WHEN clauses have no extra AND condition, at most one
 * WHEN MATCHED and one WHEN NOT MATCHED, no DO NOTHING, no BY SOURCE/TARGET.
 * (A view as source is checked against the catalog by the statement runner.)
 */
export function checkMerge(sig: Token[], start: number): void {
  const using = sig.findIndex((t, i) => i > start && isWord(t, 'using'));
  if (using < 0) return;
  if (isPunct(sig[using + 1], '(')) throw notSupported('MERGE source must be a table; subqueries are not supported', sig[using + 1].start);
  let matched = 0;
  let notMatched = 0;
  // WHEN also appears in CASE expressions (inside UPDATE SET …); those are skipped.
  let caseDepth = 0;
  for (let i = using; i < sig.length; i++) {
    if (isWord(sig[i], 'case')) caseDepth++;
    if (isWord(sig[i], 'end') && caseDepth > 0) caseDepth--;
    if (!isWord(sig[i], 'when') || caseDepth > 0 || depthAt(sig, i) !== 0) continue;
    let j = i + 1;
    const not = isWord(sig[j], 'not');
    if (not) j++;
    if (!isWord(sig[j], 'matched')) throw syntaxError(sig[j]?.text ?? 'end of input', sig[j]?.start);
    j++;
    if (!isWord(sig[j], 'then')) throw syntaxError(sig[j]?.text ?? 'end of input', sig[j]?.start);
    if (isWord(sig[j + 1], 'do')) throw syntaxError(sig[j + 1].text, sig[j + 1].start);
    if (not) notMatched++;
    else matched++;
    if (matched > 1 || notMatched > 1) throw syntaxError('WHEN', sig[i].start);
  }
  const remove = sig.findIndex((t, i) => i > using && isWord(t, 'remove') && isWord(sig[i + 1], 'duplicates'));
  if (remove > 0) throw notSupported('the Redshift stand-in does not emulate MERGE … REMOVE DUPLICATES', sig[remove].start);
}

/** The name after `MERGE INTO target [[AS] alias] USING`, for the runner's view check. */
export function mergeParts(sig: Token[]): { target: Token[]; source: Token[] } | undefined {
  if (!isWord(sig[0], 'merge') || !isWord(sig[1], 'into')) return undefined;
  const using = sig.findIndex((t) => isWord(t, 'using'));
  if (using < 0) return undefined;
  const readName = (from: number): Token[] => {
    const out: Token[] = [];
    let i = from;
    while (sig[i] && (sig[i].kind === 'word' || sig[i].kind === 'qident')) {
      out.push(sig[i]);
      if (!isPunct(sig[i + 1], '.')) break;
      out.push(sig[i + 1]);
      i += 2;
    }
    return out;
  };
  return { target: readName(2), source: readName(using + 1) };
}
