/**
 * Turns a failure the warehouse describes tersely into one that says what to
 * do. Lock waits are bounded by `--timeout` (the sessions' lock_timeout, see
 * connect.ts); when one runs out Postgres only says "canceling statement due
 * to lock timeout": this finds which of the loader's tables another session
 * holds, and who that session is. A full disk names the table being written.
 */
import { DISK_FULL, DISK_FULL_HINT, LOCK_NOT_AVAILABLE, sqlStateOf, SparkifyError, WarehouseError } from '../common/errors.ts';
import type { Warehouse } from './connect.ts';

export function isLockTimeout(err: unknown): boolean {
  return sqlStateOf(err) === LOCK_NOT_AVAILABLE;
}

/** `err`, or an error that says more: a lock wait that timed out, a full disk. */
export async function explainFailure(wh: Warehouse, err: unknown, timeoutSeconds: number): Promise<unknown> {
  if (err instanceof WarehouseError && err.code === 'LOCKED') return err; // explained already
  if (isLockTimeout(err)) return explainLockTimeout(wh, err, timeoutSeconds);
  if (sqlStateOf(err) === DISK_FULL) return explainDiskFull(wh, err);
  return err;
}

/**
 * A full disk: the error names the table whose file could not grow (Postgres
 * names only the file; a table the failed statement was creating is gone with
 * its rollback, and then the statement says which).
 */
async function explainDiskFull(wh: Warehouse, err: unknown): Promise<unknown> {
  const message = err instanceof Error ? err.message : String(err);
  let table = err instanceof WarehouseError ? err.table : undefined;
  const file = /"(?:base\/\d+|pg_tblspc\/(\d+)\/[^/"]+\/\d+)\/(\d+)(?:\.\d+)?"/.exec(message);
  const diagnostics = wh.dialect.diagnostics;
  if (!table && file && diagnostics) {
    const found = await wh.pool.query(diagnostics.fileRelationSql, [Number(file[1] ?? 0), Number(file[2])]).catch(() => undefined);
    table = found?.rows[0]?.rel ?? undefined;
  }
  if (err instanceof SparkifyError && err.hint === DISK_FULL_HINT && (!table || message.includes(table))) return err;
  return new WarehouseError(err instanceof WarehouseError && err.code === 'COPY' ? 'COPY' : 'SQL', `${message}${table && !message.includes(table) ? ` (table ${table})` : ''}`, {
    cause: err,
    sqlState: DISK_FULL,
    table,
    hint: DISK_FULL_HINT,
  });
}

/** A lock wait that timed out: an error naming the table and the session holding it. */
async function explainLockTimeout(wh: Warehouse, err: unknown, timeoutSeconds: number): Promise<unknown> {
  const diagnostics = wh.dialect.diagnostics;
  if (!isLockTimeout(err) || !diagnostics) return err;
  const known = err instanceof WarehouseError ? err.table : undefined;
  let holder: { rel: string; pid: number; app: string; usr: string; addr: string | null; since: string | null; query: string; mode: string } | undefined;
  try {
    // Locks that block writes (or reads, for ACCESS EXCLUSIVE), held by a session other than this loader's.
    const { rows } = await wh.pool.query(diagnostics.lockHolderSql, [wh.names.schema ?? null, known ?? '']);
    holder = rows[0];
  } catch {
    // Explaining is a courtesy: without it the error still says a lock wait timed out.
  }
  const what = holder ? `a lock on ${holder.rel}` : known ? `a lock on ${known}` : 'a lock';
  const who = holder
    ? `, held by backend ${holder.pid} (${[holder.app && `application "${holder.app}"`, `user ${holder.usr}`, holder.addr && `from ${holder.addr}`].filter(Boolean).join(', ')}${holder.since ? `, in a transaction since ${holder.since} UTC` : ''}, holding ${holder.mode}; its last statement: ${holder.query})`
    : ' held by another session';
  const base = err instanceof SparkifyError ? err.message.replace(/: canceling statement due to lock timeout.*$/s, '') : 'a statement';
  return new WarehouseError('LOCKED', `${base}: waited ${timeoutSeconds} s for ${what}${who}`, {
    cause: err,
    sqlState: LOCK_NOT_AVAILABLE,
    table: holder?.rel ?? known,
    hint: 'end that session or wait for it, then run again; --timeout sets how long the loader waits for a lock',
  });
}
