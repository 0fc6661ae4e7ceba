/**
 * etl_rejects: browsing rejects, counting them by reason, the retention that
 * deletes old ones, and the INSERT of Redshift's direct mode. (Otherwise they
 * are written by the load transaction that stages their object's rows: a COPY
 * of the reject spool into REJECT_COLUMNS, stage/.)
 */
import type { Queryable } from '../dialect/carry-over.ts';
import { sqlTimestamp, type TableNames } from '../dialect/sql.ts';
import { LEDGER, REJECT_COLUMNS } from './names.ts';
import type { Ledger } from './objects.ts';

export interface RejectQuery {
  /** Only rejects of this object key (exact), or of keys containing it when it has no exact match. */
  object?: string;
  /** Only rejects whose reason contains this text (case-insensitive). */
  reason?: string;
  /** At most this many rows (default 50). */
  limit?: number;
}

export interface RejectRow {
  rejectId: number;
  runId: number | null;
  dataset: string;
  sourceKey: string;
  sourceLine: number | null;
  field: string | null;
  reason: string;
  raw: string | null;
  rawEscaped: boolean;
  rawTruncated: boolean;
  rejectedAt: string;
}

export interface RejectList {
  /** Rejects that match the filters (all of them, not only those shown). */
  total: number;
  rejects: RejectRow[];
}

/** Rejects matching the filter, newest first, and how many match in all. Read-only. */
export async function findRejects(db: Queryable, ctx: Ledger, q: RejectQuery = {}): Promise<RejectList> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return ctx.dialect.param(params.length);
  };
  if (q.object !== undefined) where.push(`(source_key = ${p(q.object)} OR POSITION(${p(q.object)} IN source_key) > 0)`);
  if (q.reason !== undefined) where.push(`POSITION(LOWER(${p(q.reason)}) IN LOWER(reason)) > 0`);
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const t = ctx.names.t(LEDGER.rejects);
  const total = await db.query(`SELECT COUNT(*) AS n FROM ${t} ${filter}`, params);
  const limit = Math.max(1, Math.trunc(q.limit ?? 50));
  const { rows } = await db.query(
    `SELECT reject_id, run_id, dataset, source_key, source_line, field, reason, raw_text, raw_escaped, raw_truncated, rejected_at
     FROM ${t} ${filter} ORDER BY rejected_at DESC, source_key, source_line LIMIT ${limit}`,
    params,
  );
  return {
    total: Number(total.rows[0].n),
    rejects: rows.map((r) => ({
      rejectId: Number(r.reject_id),
      runId: r.run_id === null ? null : Number(r.run_id),
      dataset: r.dataset,
      sourceKey: r.source_key,
      sourceLine: r.source_line === null ? null : Number(r.source_line),
      field: r.field,
      reason: r.reason,
      raw: r.raw_text,
      rawEscaped: !!r.raw_escaped,
      rawTruncated: !!r.raw_truncated,
      rejectedAt: String(r.rejected_at instanceof Date ? r.rejected_at.toISOString().replace('T', ' ') : r.rejected_at).slice(0, 19),
    })),
  };
}

/** Rejects counted by data set, field and reason. */
export async function rejectCounts(db: Queryable, names: TableNames): Promise<{ dataset: string; field: string | null; reason: string; count: number }[]> {
  const { rows } = await db.query(`SELECT dataset, field, reason, COUNT(*) AS n FROM ${names.t(LEDGER.rejects)} GROUP BY dataset, field, reason`);
  return rows.map((r) => ({ dataset: r.dataset, field: r.field, reason: r.reason, count: Number(r.n) }));
}

/** Deletes the rejects recorded before `cutoff`; returns how many. */
export async function deleteRejectsBefore(db: Queryable, names: TableNames, cutoff: Date): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM ${names.t(LEDGER.rejects)} WHERE rejected_at < $1`, [sqlTimestamp(cutoff)]);
  return rowCount ?? 0;
}

/** A reject as a load records it: where, which field, why, and the source's raw text. */
export interface RejectRecord {
  dataset: string;
  key: string;
  line: number;
  field: string | undefined;
  reason: string;
  raw: { text: string; escaped: boolean; truncated: boolean };
}

/** Inserts rejects of run `runId`, 200 rows a statement (Redshift direct mode, where no spool is copied). */
export async function insertRejects(db: Queryable, names: TableNames, runId: number, rejects: readonly RejectRecord[]): Promise<void> {
  const at = sqlTimestamp(new Date());
  for (let i = 0; i < rejects.length; i += 200) {
    const values: unknown[] = [];
    const rows = rejects.slice(i, i + 200).map((r) => {
      const base = values.length;
      values.push(runId, r.dataset, r.key, r.line, r.field ?? null, r.reason, r.raw.text, r.raw.escaped, r.raw.truncated, at);
      return `(${REJECT_COLUMNS.map((_, k) => `$${base + k + 1}`).join(', ')})`;
    });
    await db.query(`INSERT INTO ${names.t(LEDGER.rejects)} (${REJECT_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`, values);
  }
}
