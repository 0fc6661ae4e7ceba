/**
 * etl_runs: one row per run, written at its start and at its end. Shard runs
 * write it side by side: each write takes the table first where the
 * warehouse needs that (Redshift), so they queue instead of conflicting.
 */
import type pg from 'pg';
import { WarehouseError } from '../common/errors.ts';
import { redact } from '../common/redact.ts';
import { shardName, type Shard } from '../common/shard.ts';
import type { Queryable } from '../dialect/carry-over.ts';
import { sqlTimestamp, type TableNames } from '../dialect/sql.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import { LEDGER } from './names.ts';

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

/** How a shard run is named in etl_runs.command (`etl --shard 1/3`). */
export function shardCommand(command: string, shard: Shard): string {
  return `${command} --shard ${shardName(shard)}`;
}

/**
 * Records a run's start and returns its id. Runs still marked running died
 * without finishing (we hold the run lock), except, for a shard run, the
 * other shards of its load, which may be running beside it.
 */
export async function startRun(wh: Warehouse, command: string, runner: { host: string; pid: number }, shard?: Shard): Promise<number> {
  const runs = wh.names.t(LEDGER.runs);
  const mine = shard ? shardCommand(command, shard) : command;
  return writeRuns(wh, async (client) => {
    if (shard) {
      await client.query(`UPDATE ${runs} SET status = 'crashed' WHERE status = 'running' AND NOT (command LIKE $1 AND command <> $2)`, [`% --shard %/${shard.count}`, mine]);
    } else {
      await client.query(`UPDATE ${runs} SET status = 'crashed' WHERE status = 'running'`);
    }
    await client.query(`INSERT INTO ${runs} (command, status, started_at, host, pid) VALUES ($1, 'running', $2, $3, $4)`, [mine, sqlTimestamp(new Date()), runner.host, runner.pid]);
    // Shards on other machines may share this process id (a container's first process, say): the host tells them apart.
    const { rows } = await client.query(`SELECT MAX(run_id) AS id FROM ${runs} WHERE status = 'running' AND pid = $1 AND host = $2`, [runner.pid, runner.host]);
    return Number(rows[0].id);
  });
}

export async function finishRun(wh: Warehouse, runId: number, status: RunStatus, counts: RunCounts, error?: string): Promise<void> {
  const r = await writeRuns(wh, (client) =>
    client.query(
      `UPDATE ${wh.names.t(LEDGER.runs)} SET status = $2, finished_at = $3, objects_listed = $4, objects_loaded = $5, objects_skipped = $6, objects_failed = $7,
         objects_pruned = $8, records_staged = $9, records_rejected = $10, model_mode = $11, error = $12 WHERE run_id = $1`,
      [runId, status, sqlTimestamp(new Date()), counts.objectsListed, counts.objectsLoaded, counts.objectsSkipped, counts.objectsFailed, counts.objectsPruned, counts.recordsStaged, counts.recordsRejected, counts.modelMode ?? null, error === undefined ? null : redact(error).slice(0, 2000)],
    ),
  );
  // The run's own row is gone: its tables were dropped or reset under it, and so may be its rows.
  if (r.rowCount === 0) {
    throw new WarehouseError('SCHEMA', `run ${runId} is no longer in ${LEDGER.runs}: the tables were dropped or reset while it ran, so what it loaded may be gone`, {
      hint: 'run `sparkify etl` again; writing commands of the loader take the run lock, so this was done by hand',
    });
  }
}

/** One transaction writing etl_runs, with the table taken first where shard runs would otherwise conflict (Redshift). */
function writeRuns<T>(wh: Warehouse, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(wh.pool, async (client) => {
    for (const sql of wh.dialect.lockTables([wh.names.t(LEDGER.runs)])) await client.query(sql);
    return work(client);
  });
}

/**
 * The statement that marks a run interrupted, for the warehouse to run the
 * moment a stop arrives (Warehouse.onInterrupt), so that even a hard exit
 * does not leave the run `running`.
 */
export function interruptedRun(names: TableNames, runId: number): [sql: string, params: unknown[]] {
  return [`UPDATE ${names.t(LEDGER.runs)} SET status = 'interrupted' WHERE run_id = $1 AND status = 'running'`, [runId]];
}

/** A run as `sparkify status` lists it. */
export interface RunRow {
  runId: number;
  command: string;
  status: string;
  startedAt: unknown;
  finishedAt: unknown;
  loaded: number | null;
  skipped: number | null;
  failed: number | null;
  staged: number | null;
  rejected: number | null;
  model: string | null;
  error: string | null;
}

/** The last `limit` runs, newest first. */
export async function lastRuns(db: Queryable, names: TableNames, limit: number): Promise<RunRow[]> {
  const { rows } = await db.query(
    `SELECT run_id, command, status, started_at, finished_at, objects_loaded, objects_skipped, objects_failed, records_staged, records_rejected, model_mode, error
     FROM ${names.t(LEDGER.runs)} ORDER BY run_id DESC LIMIT ${Math.max(1, Math.trunc(limit))}`,
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    runId: Number(r.run_id),
    command: r.command,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    loaded: num(r.objects_loaded),
    skipped: num(r.objects_skipped),
    failed: num(r.objects_failed),
    staged: num(r.records_staged),
    rejected: num(r.records_rejected),
    model: r.model_mode,
    error: r.error,
  }));
}
