/**
 * The bookkeeping statements every load unit runs inside its transaction:
 * before the rows, remember what the object's old rows touched (for the
 * incremental model step) and delete them with their rejects and manifest
 * row; after the rows, write the manifest rows and mark the objects dirty.
 * Plain SQL with bind parameters, valid on Postgres and Redshift.
 */
import type pg from 'pg';
import type { Dataset } from '../common/datasets.ts';
import type { Dialect, TableNames } from '../dialect/index.ts';
import type { SourceObject } from '../extract/source.ts';
import { type Reject } from './reject-spool.ts';
import { sqlTimestamp } from '../dialect/sql.ts';

export interface ObjectOutcome {
  object: SourceObject;
  rows: number;
  rejects: number;
  format: string | undefined;
  /** The first few rejects, for log lines. */
  samples?: readonly Reject[];
}

export interface BookkeepingContext {
  names: TableNames;
  dialect: Dialect;
  /**
   * Keys of objects that had no etl_objects row when the run planned its
   * load: they have no staged rows (rows are only committed with their
   * manifest row), so a first load skips forgetting them. A key leaves the set
   * on its first attempt, since that attempt may commit even if its caller
   * never hears back: a retry then forgets whatever it did.
   */
  neverLoaded?: Set<string>;
}

/** Keys per statement: keeps parameter lists well under every protocol limit. */
const KEYS_PER_STATEMENT = 500;

/** The first statements of a load transaction: the dialect's table locks (Redshift), in their fixed order. */
export async function lockForLoad(client: Pick<pg.ClientBase, 'query'>, ctx: Pick<BookkeepingContext, 'names' | 'dialect'>): Promise<void> {
  for (const sql of ctx.dialect.lockForLoad(ctx.names)) await client.query(sql);
}

/** Removes everything staged for these objects, remembering what their rows touched. */
export async function forgetObjects(client: pg.ClientBase, ctx: BookkeepingContext, dataset: Dataset, keys: readonly string[]): Promise<void> {
  const { names: n } = ctx;
  const fresh = ctx.neverLoaded;
  const known = fresh ? keys.filter((k) => !fresh.delete(k)) : keys;
  for (const chunk of chunks(known, KEYS_PER_STATEMENT)) {
    const list = placeholders(ctx.dialect, chunk.length, 1);
    if (dataset === 'events') {
      await client.query(`INSERT INTO ${n.t('etl_dirty_events')} (session_id, item_in_session, user_id) SELECT session_id, item_in_session, user_id FROM ${n.t('stg_events')} WHERE source_key IN (${list})`, chunk);
    } else {
      await client.query(`INSERT INTO ${n.t('etl_dirty_songs')} (song_id, artist_id, title, artist_name, duration) SELECT song_id, artist_id, title, artist_name, duration FROM ${n.t('stg_songs')} WHERE source_key IN (${list})`, chunk);
    }
    for (const table of [dataset === 'events' ? 'stg_events' : 'stg_songs', 'etl_rejects', 'etl_objects', 'etl_dirty_objects']) {
      await client.query(`DELETE FROM ${n.t(table)} WHERE source_key IN (${list})`, chunk);
    }
  }
}

/** Writes the manifest rows of loaded objects and marks them for the model step. */
export async function recordObjects(client: pg.ClientBase, ctx: BookkeepingContext, runId: number, outcomes: readonly ObjectOutcome[], at = new Date()): Promise<void> {
  const { names: n } = ctx;
  const loadedAt = sqlTimestamp(at);
  for (const chunk of chunks(outcomes, KEYS_PER_STATEMENT)) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (const o of chunk) {
      const base = values.length;
      values.push(o.object.key, o.object.dataset, o.object.fingerprint, o.object.etag ?? null, o.object.size, o.object.lastModified !== undefined ? sqlTimestamp(new Date(o.object.lastModified)) : null, o.format ?? null, o.rows, o.rejects, loadedAt, runId);
      rows.push(`(${placeholders(ctx.dialect, 11, base + 1)})`);
    }
    await client.query(
      `INSERT INTO ${n.t('etl_objects')} (source_key, dataset, fingerprint, etag, size, last_modified, format, rows_staged, rejects, loaded_at, run_id) VALUES ${rows.join(', ')}`,
      values,
    );
    const dirty: unknown[] = [];
    const dirtyRows = chunk.map((o, i) => {
      dirty.push(o.object.dataset, o.object.key);
      return `(${placeholders(ctx.dialect, 2, i * 2 + 1)})`;
    });
    await client.query(`INSERT INTO ${n.t('etl_dirty_objects')} (dataset, source_key) VALUES ${dirtyRows.join(', ')}`, dirty);
  }
}

function placeholders(d: Dialect, count: number, first: number): string {
  return Array.from({ length: count }, (_, i) => d.param(first + i)).join(', ');
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
