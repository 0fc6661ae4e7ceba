/**
 * Model: brings the star schema up to date with staging, in one transaction.
 *
 * Objects staged since the last model step are recorded in etl_dirty_* by the
 * same transaction that staged them, so "staging ahead of the star schema" is
 * a state the next run sees and repairs, even after a crash. Small changes
 * take the incremental path; a first load, a --full-refresh or a change to
 * most objects rebuild everything. Both paths give the same tables.
 */
import type { Warehouse } from '../warehouse/connect.ts';
import { inTransaction } from '../warehouse/connect.ts';
import { describeError, WarehouseError, pgFields } from '../errors.ts';
import { DEFAULT_RETRY, isTransient, withRetry, type RetryPolicy } from '../retry.ts';
import type { Logger } from '../log.ts';
import { fullBuildStatements, incrementalBuildStatements } from './star-schema.ts';

export { fullBuildStatements, incrementalBuildStatements } from './star-schema.ts';

export type ModelMode = 'full' | 'incremental' | 'none';

export interface ModelResult {
  mode: ModelMode;
  durationMs: number;
}

export interface ModelOptions {
  /** Force a mode instead of choosing (tests, --full-refresh). */
  force?: 'full' | 'incremental';
  /** Cancels the running statement (and rolls the step back) when aborted. */
  signal?: AbortSignal;
  /** Retries of the whole step on a transient error (it is one transaction, so retrying is safe). */
  retry?: RetryPolicy;
}

async function ensureModelIndexes(wh: Warehouse): Promise<void> {
  const statements = wh.dialect.modelIndexes(wh.names);
  if (statements.length === 0) return;
  await inTransaction(wh.pool, async (client) => {
    // Sorted in memory, an index over millions of rows builds in seconds.
    await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    for (const sql of statements) await client.query(sql);
  });
}

/** Builds or updates the star schema from staging. */
export async function buildStarSchema(wh: Warehouse, log: Logger, options: ModelOptions = {}): Promise<ModelResult> {
  const started = Date.now();
  const n = wh.names;
  const m = { names: n, dialect: wh.dialect };
  const state = await wh.pool.query(
    `SELECT
       (SELECT COUNT(*) FROM ${n.t('etl_state')} WHERE name = 'full_rebuild_pending') AS pending,
       (SELECT COUNT(*) FROM ${n.t('etl_dirty_objects')}) AS dirty_objects,
       (SELECT COUNT(*) FROM ${n.t('etl_dirty_objects')} WHERE dataset = 'songs') AS dirty_song_objects,
       (SELECT COUNT(*) FROM ${n.t('etl_dirty_events')}) AS dirty_events,
       (SELECT COUNT(*) FROM ${n.t('etl_dirty_songs')}) AS dirty_songs,
       (SELECT COUNT(*) FROM ${n.t('etl_objects')}) AS objects`,
  );
  const s = Object.fromEntries(Object.entries(state.rows[0]).map(([k, v]) => [k, Number(v)])) as Record<string, number>;
  const dirty = s.dirty_objects + s.dirty_events + s.dirty_songs > 0;
  // A bulk load dropped the lookup indexes (or a run died before rebuilding them).
  const t = Date.now();
  await ensureModelIndexes(wh);
  log.debug(`model: ${Date.now() - t} ms ensuring the lookup indexes`);
  let mode: ModelMode;
  if (options.force) mode = options.force;
  else if (s.pending > 0) mode = 'full';
  else if (!dirty) mode = 'none';
  // Rebuilding is cheaper than working out what changed when most objects did.
  else mode = s.dirty_objects * 2 > s.objects ? 'full' : 'incremental';
  if (mode === 'none') return { mode, durationMs: Date.now() - started };

  const statements = mode === 'full' ? fullBuildStatements(m) : incrementalBuildStatements(m, s.dirty_songs + s.dirty_song_objects > 0);
  log.info(`model: ${mode} build started (${s.dirty_objects} objects changed since the last build)`);
  const signal = options.signal;
  await withRetry(
    () =>
      inTransaction(wh.pool, async (client) => {
        const pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
        // On a signal, cancel the statement in flight: the step rolls back as a whole.
        const cancel = () => void wh.pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
        signal?.addEventListener('abort', cancel, { once: true });
        try {
          for (const sql of statements) {
            if (signal?.aborted) throw signal.reason;
            const t = Date.now();
            try {
              await client.query(sql);
              log.debug(`model: ${Date.now() - t} ms ${sql.split('\n')[0].slice(0, 100)}`);
            } catch (err) {
              if (signal?.aborted) throw signal.reason;
              throw new WarehouseError('SQL', `model step (${mode}) failed: ${(err as Error).message}`, {
                cause: err,
                sqlState: pgFields(err)?.code,
                retryable: isTransient(err),
                hint: `statement: ${sql.split('\n')[0].slice(0, 120)}`,
              });
            }
          }
        } finally {
          signal?.removeEventListener('abort', cancel);
        }
      }),
    options.retry ?? DEFAULT_RETRY,
    { signal, onRetry: (err, attempt, delay) => log.warn(`model step: ${describeError(err)}; retrying in ${delay} ms (attempt ${attempt + 1})`) },
  );
  return { mode, durationMs: Date.now() - started };
}
