/**
 * Runs one client statement the Redshift way: refuse what Redshift refuses,
 * emulate COPY from S3, TRUNCATE's implicit commit and Redshift-only DDL, rewrite
 * the rest for Postgres and run it on the session's upstream connection,
 * then translate Postgres' errors into Redshift's where they differ.
 */
import pg from 'pg';
import { alterAppend } from './alter-append.ts';
import { runCopy, type CopyEnvironment } from './copy-from-s3.ts';
import { parseCopy } from './copy-options.ts';
import { readColumnType } from './column-types.ts';
import { serializationConflict, type Cluster } from './cluster.ts';
import { BYTE_CHECK_PREFIX, byteCheckClause, byteCheckName, rewriteAlterAddColumn, rewriteCreateTable, type Edit } from './ddl-rewrite.ts';
import { notSupported, StandinError, syntaxError, UpstreamFailure, type ErrorFields } from './errors.ts';
import { REDSHIFT_ONLY, settingName } from './settings.ts';
import { checkRefusals, mergeParts } from './sql-refusals.ts';
import { identText, identValue, isPunct, isWord, jsIndexOfPosition, readQualifiedName, significant, tokenize, type Token } from './sql-lexer.ts';
import { applyEdits, chain, provisionedOnlyRelation, systemRewrites, type CopyFunctionValues, type Rewritten } from './sql-rewrite.ts';
import type { Upstream } from './upstream.ts';
import type { FieldDescription } from './wire.ts';

export interface Outcome {
  fields?: FieldDescription[];
  rows: (string | null)[][];
  /** CommandComplete tag; undefined means EmptyQueryResponse. */
  tag?: string;
}

export interface RunnerContext {
  upstream: Upstream;
  cluster: Cluster;
  lastCopy: CopyFunctionValues;
  copyEnvironment(): CopyEnvironment;
}

export interface StatementText {
  text: string;
  tokens: Token[];
}

const done = (tag: string): Outcome => ({ rows: [], tag });

export async function runStatement(stmt: StatementText, values: unknown[] | undefined, ctx: RunnerContext): Promise<Outcome> {
  const sig = significant(stmt.tokens);
  if (sig.length === 0) return { rows: [] };
  checkRefusals(sig);
  if (ctx.cluster.serverless) {
    // Serverless has only the SYS monitoring views [MG:serverless-monitoring]; querying STL
    // gives a permission error even to a superuser [re:Post QU6fVWo0FyQfuYiS7BjNMs-g].
    const t = provisionedOnlyRelation(sig);
    if (t) throw new StandinError('42501', `permission denied for relation ${t.value.toLowerCase()}`, { offset: t.start });
  }
  if (!ctx.cluster.sysViews) {
    const t = sig.find((x, i) => (x.kind === 'word' || x.kind === 'qident') && /^sys_/.test(x.value.toLowerCase()) && !isPunct(sig[i + 1], '(') && !isPunct(sig[i - 1], '.'));
    if (t) throw new StandinError('42P01', `relation "${t.value.toLowerCase()}" does not exist`, { offset: t.start });
  }
  ctx.cluster.conflicts.check(stmt.text, ctx.upstream.processId);
  const head = sig[0];
  if (isWord(head, 'copy')) {
    const cmd = parseCopy(sig);
    await runCopy(cmd, ctx.copyEnvironment());
    // Redshift's COPY tag carries no row count; clients must ask pg_last_copy_count() [REDSHIFT-FACTS §3].
    return done('COPY');
  }
  if (isWord(head, 'truncate')) return truncate(stmt, ctx);
  const special = await specialForms(sig, ctx);
  if (special) return special;
  let edits: Edit[] = [];
  if (isWord(head, 'create')) edits = rewriteCreateTable(sig, stmt.text);
  if (isWord(head, 'alter') && isWord(sig[1], 'table')) edits = await alterTable(sig, stmt.text, ctx);
  if (isWord(head, 'vacuum')) edits = vacuum(sig, stmt.text);
  if (isWord(head, 'analyze')) edits = analyze(sig);
  if (isWord(head, 'merge')) await checkMergeSource(sig, ctx);
  if (isWord(head, 'create')) edits.push(...lateBindingView(sig));
  const first = applyEdits(stmt.text, edits);
  const second = applyEdits(first.text, systemRewrites(significant(tokenize(first.text)), ctx.lastCopy));
  return upstreamRun(chain(first, second), values, ctx, isWord(head, 'merge'));
}

/** Runs rewritten SQL upstream; Postgres errors become UpstreamFailure with Redshift's wording where it differs. */
export async function upstreamRun(sql: Rewritten, values: unknown[] | undefined, ctx: RunnerContext, merge = false): Promise<Outcome> {
  try {
    const results = await ctx.upstream.run(sql.text, values);
    const last = results[results.length - 1];
    return { fields: last?.fields, rows: last?.rows ?? [], tag: last?.tag };
  } catch (err) {
    if (!(err instanceof pg.DatabaseError)) throw err;
    throw translateError(err, sql, merge);
  }
}

function translateError(err: pg.DatabaseError, sql: Rewritten, merge: boolean): UpstreamFailure {
  const fields: Omit<ErrorFields, 'position'> = {
    severity: err.severity === 'FATAL' ? 'FATAL' : 'ERROR',
    code: err.code ?? 'XX000',
    message: err.message,
    detail: err.detail,
    hint: err.hint,
    where: err.where,
    schema: err.schema,
    table: err.table,
    column: err.column,
    dataType: err.dataType,
    constraint: err.constraint,
  };
  const bytes = err.code === '23514' && err.constraint?.startsWith(BYTE_CHECK_PREFIX) ? /^rs_bytes_(\d+)_/.exec(err.constraint) : null;
  if (bytes) {
    // The CHECK that emulates byte-counted VARCHAR: report it as Redshift (and Postgres' own length check) do.
    return new UpstreamFailure({ severity: 'ERROR', code: '22001', message: `value too long for type character varying(${bytes[1]})` });
  }
  if (err.code === '40001') {
    // Postgres' serialization failure is Redshift's error 1023, reported as an internal error.
    const conflict = serializationConflict(0);
    return new UpstreamFailure({ severity: 'ERROR', code: conflict.code, message: conflict.message, detail: conflict.detail });
  }
  if (merge && err.code === '21000') {
    return new UpstreamFailure({ severity: 'ERROR', code: 'XX000', message: 'Found multiple matches to update the same tuple.' });
  }
  const offset = err.position ? sql.toOriginal(jsIndexOfPosition(sql.text, Number(err.position))) : undefined;
  return new UpstreamFailure(fields, offset);
}

/**
 * TRUNCATE commits the transaction it runs in, work done before it included,
 * and cannot be rolled back [DG:r_TRUNCATE]. The session is left outside a
 * transaction block, so a later COMMIT or ROLLBACK finds none.
 */
async function truncate(stmt: StatementText, ctx: RunnerContext): Promise<Outcome> {
  if (ctx.upstream.status === 'T') await upstreamRun(applyEdits('COMMIT', []), undefined, ctx);
  return upstreamRun(applyEdits(stmt.text, []), undefined, ctx);
}

/** Statements answered without running the client's text upstream. */
async function specialForms(sig: Token[], ctx: RunnerContext): Promise<Outcome | undefined> {
  if (isWord(sig[0], 'analyze') && isWord(sig[1], 'compression')) return done('ANALYZE');
  // Postgres allows LOCK only inside a transaction block; Redshift accepts it anywhere (it just has no lasting effect).
  if (isWord(sig[0], 'lock') && ctx.upstream.status === 'I') return done('LOCK TABLE');
  const setting = settingName(sig);
  if (setting && REDSHIFT_ONLY.has(setting.value.toLowerCase())) {
    if (isWord(sig[0], 'show')) throw notSupported(`the Redshift stand-in does not track ${setting.value}`, setting.start);
    return done(sig[0].value.toUpperCase());
  }
  if (!isWord(sig[0], 'alter') || !isWord(sig[1], 'table')) return undefined;
  const name = readQualifiedName(sig, 2);
  if (!name) return undefined;
  const action = sig[name.next];
  const next = sig[name.next + 1];
  const redshiftOnly =
    (isWord(action, 'alter') && isWord(next, 'diststyle', 'distkey', 'sortkey', 'compound', 'interleaved', 'encode')) ||
    (isWord(action, 'add') && (isWord(next, 'primary', 'unique', 'foreign') || (isWord(next, 'constraint') && isWord(sig[name.next + 3], 'primary', 'unique', 'foreign'))));
  if (isWord(action, 'append')) return alterAppend(sig, name.next, name.text, ctx, upstreamRun);
  if (!redshiftOnly) return undefined;
  // Distribution/sort changes and informational key constraints change nothing Postgres can see; check the table exists.
  await upstreamRun(applyEdits('SELECT $1::regclass', []), [name.text], ctx);
  return done('ALTER TABLE');
}

async function alterTable(sig: Token[], text: string, ctx: RunnerContext): Promise<Edit[]> {
  const name = readQualifiedName(sig, 2);
  if (!name) return [];
  const table = name.parts[name.parts.length - 1];
  const action = sig[name.next];
  if (isWord(action, 'add') && !isWord(sig[name.next + 1], 'constraint', 'primary', 'unique', 'foreign', 'check')) {
    return rewriteAlterAddColumn(sig, text, table, name.next);
  }
  if (isWord(action, 'alter')) {
    let i = name.next + 1;
    if (isWord(sig[i], 'column')) i++;
    const column = identValue(sig[i]);
    if (column !== undefined && isWord(sig[i + 1], 'type')) return alterColumnType(sig, text, name.text, table, column, i, ctx);
  }
  return [];
}

/**
 * ALTER COLUMN … TYPE: only VARCHAR length changes, never inside a transaction
 * block [DG:r_ALTER_TABLE]; the byte-length CHECK moves with the new length.
 */
async function alterColumnType(sig: Token[], text: string, tableText: string, table: string, column: string, at: number, ctx: RunnerContext): Promise<Edit[]> {
  if (ctx.upstream.status !== 'I') throw new StandinError('25001', 'ALTER TABLE ALTER COLUMN cannot run inside a transaction block', { offset: sig[0].start });
  const { type, next } = readColumnType(sig, at + 2, `${table}.${column}`);
  if (next < sig.length) throw syntaxError(sig[next].text, sig[next].start);
  if (type.varcharBytes === undefined) throw notSupported('ALTER TABLE ALTER COLUMN TYPE only changes the length of a VARCHAR column', sig[at + 2].start);
  const suffix = byteCheckName(column, 0).replace(/^rs_bytes_0/, '');
  const old = await upstreamRun(
    applyEdits(`SELECT conname::text FROM pg_constraint WHERE conrelid = to_regclass($1) AND conname LIKE 'rs\\_bytes\\_%' AND conname LIKE '%' || $2`, []),
    [tableText, suffix],
    ctx,
  );
  const columnSql = identText(sig[at]);
  const drops = old.rows.map((r) => `, DROP CONSTRAINT ${r[0]}`).join('');
  const sql = `ALTER COLUMN ${columnSql} TYPE ${type.pg}${drops}, ADD ${byteCheckClause(columnSql, column, type.varcharBytes)}`;
  const actionStart = sig[at - (isWord(sig[at - 1], 'column') ? 2 : 1)].start;
  return [{ start: actionStart, end: text.length, text: sql }];
}

/** Redshift's VACUUM [FULL | SORT ONLY | DELETE ONLY | REINDEX | RECLUSTER] [table] [TO n PERCENT] [BOOST] → VACUUM [table]. */
function vacuum(sig: Token[], text: string): Edit[] {
  let i = 1;
  while (isWord(sig[i], 'full', 'sort', 'delete', 'only', 'reindex', 'recluster')) i++;
  const name = readQualifiedName(sig, i);
  let j = name ? name.next : i;
  if (isWord(sig[j], 'to') && sig[j + 1]?.kind === 'number' && isWord(sig[j + 2], 'percent')) j += 3;
  if (isWord(sig[j], 'boost')) j++;
  if (j < sig.length) throw syntaxError(sig[j].text, sig[j].start);
  return [{ start: 0, end: text.length, text: name ? `VACUUM ${name.text}` : 'VACUUM' }];
}

/** CREATE VIEW … WITH NO SCHEMA BINDING (a late-binding view) is an ordinary view for Postgres. */
function lateBindingView(sig: Token[]): Edit[] {
  const n = sig.length;
  const isView = sig.slice(1, 4).some((t) => isWord(t, 'view'));
  if (!isView || n < 4 || !isWord(sig[n - 4], 'with') || !isWord(sig[n - 3], 'no') || !isWord(sig[n - 2], 'schema') || !isWord(sig[n - 1], 'binding')) return [];
  return [{ start: sig[n - 4].start, end: sig[n - 1].end, text: '' }];
}

/** ANALYZE … PREDICATE COLUMNS / ALL COLUMNS: the column choice is Redshift-only. */
function analyze(sig: Token[]): Edit[] {
  const at = sig.findIndex((t, i) => isWord(t, 'predicate', 'all') && isWord(sig[i + 1], 'columns'));
  return at < 0 ? [] : [{ start: sig[at].start, end: sig[at + 1].end, text: '' }];
}

/** MERGE's source must be a table, not a view, and not the target [DG:r_MERGE]. */
async function checkMergeSource(sig: Token[], ctx: RunnerContext): Promise<void> {
  const parts = mergeParts(sig);
  if (!parts || parts.source.length === 0) return;
  const text = (ts: Token[]): string => ts.map(identText).join('');
  const res = await upstreamRun(
    applyEdits(`SELECT c.relkind::text, (c.oid = to_regclass($2))::text FROM pg_class c WHERE c.oid = to_regclass($1)`, []),
    [text(parts.source), text(parts.target)],
    ctx,
  );
  const [relkind, same] = (res.rows[0] ?? []) as string[];
  if (relkind === 'v' || relkind === 'm') throw notSupported('MERGE source must be a table; views are not supported', parts.source[0].start);
  if (same === 'true') throw notSupported('MERGE source and target cannot be the same table', parts.source[0].start);
}
