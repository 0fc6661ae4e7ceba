/**
 * One `COPY … CSV GZIP MANIFEST` of staged parts into a Redshift table, and
 * the error it fails with: a failed COPY's own errors live in a system view,
 * not in the client's error (REDSHIFT-FACTS §3), so the first of them is read
 * back into it.
 */
import type pg from 'pg';
import { copyCsvManifest } from '../dialect/redshift-copy.ts';
import { LAST_COPY_COUNT_SQL } from '../dialect/redshift-load-errors.ts';
import { WarehouseError, pgFields } from '../common/errors.ts';
import { isTransient } from '../common/retry.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { findLoadErrorSource, readLoadErrors, type LoadErrorSource } from './load-errors.ts';

/** Where each warehouse keeps a failed COPY's errors, found at its first failure. */
const errorSources = new WeakMap<Warehouse, Promise<LoadErrorSource>>();

/**
 * COPYs the parts a manifest lists into `table` (unqualified); returns the
 * rows it loaded. On failure, the first load error of the files under
 * `folder` (any file when empty) goes into the error.
 */
export async function copyManifest(wh: Warehouse, client: pg.ClientBase, copy: { table: string; columns: readonly string[]; manifestUrl: string; iamRole: string; region?: string }, folder: string): Promise<number> {
  try {
    await client.query(copyCsvManifest({ ...copy, table: wh.names.t(copy.table) }));
  } catch (err) {
    const fields = pgFields(err);
    if (!fields) throw err;
    let detail = '';
    try {
      let source = errorSources.get(wh);
      if (!source) errorSources.set(wh, (source = findLoadErrorSource(wh.pool)));
      const [e] = await readLoadErrors(wh.pool, await source, { fileLike: `%${folder}/%` }, 1);
      if (e) detail = `: ${e.file} line ${e.line}, column ${e.column}: ${e.reason} (${e.code})`;
    } catch {
      // The views are not readable (permissions): the client error is all we have.
    }
    throw new WarehouseError('COPY', `COPY into ${copy.table} failed${detail || `: ${(err as Error).message}`}`, { cause: err, table: copy.table, sqlState: fields.code, retryable: isTransient(err) });
  }
  const { rows } = await client.query(LAST_COPY_COUNT_SQL);
  return Number(rows[0].n);
}
