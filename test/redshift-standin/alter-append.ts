/**
 * ALTER TABLE target APPEND FROM source [IGNOREEXTRA | FILLTARGET]: moves
 * every row of source into target and leaves source empty. Not allowed in a
 * transaction block and committed at once; columns with the same name must
 * have the same type and nullability, extra source columns need IGNOREEXTRA,
 * missing ones FILLTARGET, and IDENTITY columns cannot be appended.
 * [DG:r_ALTER_TABLE_APPEND; REDSHIFT-FACTS §4, §5]
 */
import { StandinError, syntaxError } from './errors.ts';
import { isWord, quoteIdent, readQualifiedName, type Token } from './sql-lexer.ts';
import { applyEdits, type Rewritten } from './sql-rewrite.ts';
import type { Outcome, RunnerContext } from './statement-runner.ts';

type Run = (sql: string, values?: unknown[]) => Promise<Outcome>;

interface Column {
  name: string;
  type: string;
  notNull: boolean;
  identity: boolean;
}

async function columns(run: Run, table: string): Promise<Column[]> {
  const res = await run(
    `SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, (a.attidentity <> '')::text
       FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  );
  return res.rows.map((r) => ({ name: r[0] as string, type: r[1] as string, notNull: r[2] === 'true', identity: r[3] === 'true' }));
}

/** `sig` starts with ALTER TABLE target APPEND. */
export async function alterAppend(
  sig: Token[],
  at: number,
  target: string,
  ctx: RunnerContext,
  upstreamRun: (sql: Rewritten, values: unknown[] | undefined, ctx: RunnerContext) => Promise<Outcome>,
): Promise<Outcome> {
  if (!isWord(sig[at + 1], 'from')) throw syntaxError(sig[at + 1]?.text ?? 'end of input', sig[at + 1]?.start);
  const source = readQualifiedName(sig, at + 2);
  if (!source) throw syntaxError(sig[at + 2]?.text ?? 'end of input', sig[at + 2]?.start);
  const option = sig[source.next];
  if (option && !isWord(option, 'ignoreextra', 'filltarget')) throw syntaxError(option.text, option.start);
  if (sig.length > source.next + 1) throw syntaxError(sig[source.next + 1].text, sig[source.next + 1].start);
  if (ctx.upstream.status !== 'I') throw new StandinError('25001', 'ALTER TABLE APPEND cannot run inside a transaction block', { offset: sig[0].start });
  const run: Run = (sql, values) => upstreamRun(applyEdits(sql, []), values, ctx);
  const [tgt, src] = [await columns(run, target), await columns(run, source.text)];
  if ([...tgt, ...src].some((c) => c.identity)) throw new StandinError('0A000', 'ALTER TABLE APPEND is not supported for tables with IDENTITY columns');
  const extra = src.filter((c) => !tgt.some((t) => t.name === c.name));
  const missing = tgt.filter((t) => !src.some((c) => c.name === t.name));
  if (extra.length > 0 && !isWord(option, 'ignoreextra')) throw new StandinError('0A000', `Source table has column "${extra[0].name}" that the target lacks (use IGNOREEXTRA)`);
  if (missing.length > 0 && !isWord(option, 'filltarget')) throw new StandinError('0A000', `Target table has column "${missing[0].name}" that the source lacks (use FILLTARGET)`);
  const shared = tgt.filter((t) => src.some((c) => c.name === t.name));
  for (const t of shared) {
    const c = src.find((s) => s.name === t.name) as Column;
    if (c.type !== t.type || c.notNull !== t.notNull) throw new StandinError('0A000', `Column "${t.name}" has a different type or nullability in the source and target tables`);
  }
  const list = shared.map((c) => quoteIdent(c.name)).join(', ');
  // One transaction of its own, committed at once, like Redshift's block move.
  await run('BEGIN');
  try {
    await run(`INSERT INTO ${target} (${list}) SELECT ${list} FROM ${source.text}`);
    await run(`DELETE FROM ${source.text}`);
  } catch (err) {
    // The client never opened this transaction; do not leave it behind.
    await run('ROLLBACK');
    throw err;
  }
  await run('COMMIT');
  return { rows: [], tag: 'ALTER TABLE' };
}
