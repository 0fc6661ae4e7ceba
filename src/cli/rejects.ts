/**
 * `sparkify rejects`: browse etl_rejects without SQL — filtered by object key
 * and by reason text, newest first, with the raw text on request.
 */
import { table } from '../report/render-text.ts';
import type { Warehouse } from '../warehouse/connect.ts';

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

/** Reads rejects matching the query, newest first. Read-only. */
export async function listRejects(wh: Warehouse, q: RejectQuery = {}): Promise<RejectList> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return wh.dialect.param(params.length);
  };
  if (q.object !== undefined) where.push(`(source_key = ${p(q.object)} OR POSITION(${p(q.object)} IN source_key) > 0)`);
  if (q.reason !== undefined) where.push(`POSITION(LOWER(${p(q.reason)}) IN LOWER(reason)) > 0`);
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const t = wh.names.t('etl_rejects');
  const total = await wh.pool.query(`SELECT COUNT(*) AS n FROM ${t} ${filter}`, params);
  const limit = Math.max(1, Math.trunc(q.limit ?? 50));
  const { rows } = await wh.pool.query(
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

/** Aligned text: one row per reject; with `raw`, each reject's raw text below it. */
export function renderRejects(list: RejectList, options: { raw?: boolean } = {}): string {
  if (list.total === 0) return 'no rejects match';
  const shown = `${list.rejects.length} of ${list.total} reject(s), newest first`;
  if (!options.raw) {
    return `${shown}\n${table(['object', 'line', 'field', 'reason', 'rejected (UTC)'], list.rejects.map((r) => [r.sourceKey, r.sourceLine ?? '-', r.field ?? '-', r.reason, r.rejectedAt]))}`;
  }
  const blocks = list.rejects.map((r) => {
    const flags = [r.rawEscaped ? 'escaped: \\xNN are bytes that were not UTF-8' : '', r.rawTruncated ? 'cut at the size limit' : ''].filter(Boolean).join('; ');
    return `${r.sourceKey} line ${r.sourceLine ?? '-'}: ${r.reason}${flags ? ` (${flags})` : ''}\n${r.raw ?? '(no raw text)'}`;
  });
  return `${shown}\n\n${blocks.join('\n\n')}`;
}
