/**
 * `sparkify rejects`: browse the ledger's rejects without SQL — filtered by object key
 * and by reason text, newest first, with the raw text on request.
 */
import { table } from '../report/render-text.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { findRejects, type RejectList, type RejectQuery } from '../ledger/index.ts';

/** Reads rejects matching the query, newest first. Read-only. */
export function listRejects(wh: Warehouse, q: RejectQuery = {}): Promise<RejectList> {
  return findRejects(wh.pool, wh, q);
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
