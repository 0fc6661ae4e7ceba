/** etl_runs: one row per run, written at its start and at its end. */
import { WarehouseError } from '../errors.ts';
import { redact } from '../redact.ts';
import { sqlTimestamp } from '../stage/reject-spool.ts';
import type { Warehouse } from './connect.ts';

export type RunStatus = 'running' | 'ok' | 'rejects' | 'failed' | 'interrupted' | 'crashed' | 'dry-run';

export interface RunCounts {
  objectsListed: number;
  objectsLoaded: number;
  objectsSkipped: number;
  objectsFailed: number;
  objectsPruned: number;
  recordsStaged: number;
  recordsRejected: number;
  modelMode?: string;
}

export async function startRun(wh: Warehouse, command: string, runner: { host: string; pid: number }): Promise<number> {
  const n = wh.names;
  // We hold the run lock: any run still marked running died without finishing.
  await wh.pool.query(`UPDATE ${n.t('etl_runs')} SET status = 'crashed' WHERE status = 'running'`);
  await wh.pool.query(`INSERT INTO ${n.t('etl_runs')} (command, status, started_at, host, pid) VALUES ($1, 'running', $2, $3, $4)`, [command, sqlTimestamp(new Date()), runner.host, runner.pid]);
  const { rows } = await wh.pool.query(`SELECT MAX(run_id) AS id FROM ${n.t('etl_runs')} WHERE status = 'running' AND pid = $1`, [runner.pid]);
  return Number(rows[0].id);
}

export async function finishRun(wh: Warehouse, runId: number, status: RunStatus, counts: RunCounts, error?: string): Promise<void> {
  const r = await wh.pool.query(
    `UPDATE ${wh.names.t('etl_runs')} SET status = $2, finished_at = $3, objects_listed = $4, objects_loaded = $5, objects_skipped = $6, objects_failed = $7,
       objects_pruned = $8, records_staged = $9, records_rejected = $10, model_mode = $11, error = $12 WHERE run_id = $1`,
    [runId, status, sqlTimestamp(new Date()), counts.objectsListed, counts.objectsLoaded, counts.objectsSkipped, counts.objectsFailed, counts.objectsPruned, counts.recordsStaged, counts.recordsRejected, counts.modelMode ?? null, error === undefined ? null : redact(error).slice(0, 2000)],
  );
  // The run's own row is gone: its tables were dropped or reset under it, and so may be its rows.
  if (r.rowCount === 0) {
    throw new WarehouseError('SCHEMA', `run ${runId} is no longer in etl_runs: the tables were dropped or reset while it ran, so what it loaded may be gone`, {
      hint: 'run `sparkify etl` again; writing commands of the loader take the run lock, so this was done by hand',
    });
  }
}
