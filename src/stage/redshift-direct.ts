/**
 * Redshift direct mode: what the classic project did. Redshift reads each
 * source object itself (`COPY … FORMAT AS JSON`), with no local validation;
 * its load errors are read back from STL_LOAD_ERRORS into etl_rejects.
 *
 * Redshift cannot tell which file a row came from, so each object gets its
 * own COPY (through a one-entry manifest, since a bare key is a prefix that
 * would also load `key.bak`) into a temp table, and is moved into staging with
 * its key. Lines are unknown: rows carry source_line 0, so two copies of an
 * event inside one object tie (stage mode keeps lines).
 */
import type pg from 'pg';
import { EVENT_FIELDS, FIELDS, STAGING_TABLE, type Dataset } from '../datasets.ts';
import { unconvertibleEvent } from '../dialect/shared.ts';
import { copyJsonManifest } from '../dialect/redshift-copy.ts';
import { ConfigError, WarehouseError, pgFields } from '../errors.ts';
import type { SourceObject } from '../extract/source.ts';
import { cutString } from '../extract/raw-text.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import type { StagingBackend } from './backend.ts';
import { forgetObjects, recordObjects, type ObjectOutcome } from './bookkeeping.ts';
import { sqlTimestamp, type Reject } from './reject-spool.ts';
import { StagingArea, type StagingLocation } from './s3-staging.ts';

export interface RedshiftDirectSettings {
  iamRole: string;
  staging: StagingLocation;
  /** JSONPaths file for the event logs (default: one the loader writes from its own field list). */
  jsonPaths?: string;
  region?: string;
  /** Redshift MAXERROR per object (capped at 100000). */
  maxError: number;
  /** Where the source objects are: direct mode needs them in S3. */
  sourceUrl: (object: SourceObject) => string;
}

/** The JSONPaths file of the staging columns, in order (the same as Udacity's log_json_path.json). */
export function eventJsonPaths(): string {
  return JSON.stringify({ jsonpaths: EVENT_FIELDS.map((f) => `$['${f.json}']`) }, null, 1);
}

export function redshiftDirectBackend(wh: Warehouse, runId: number, area: StagingArea, settings: RedshiftDirectSettings, neverLoaded?: Set<string>): StagingBackend {
  const ctx = { names: wh.names, dialect: wh.dialect, neverLoaded };
  let jsonPaths: Promise<string> | undefined;
  const pathsFor = (dataset: Dataset) => {
    if (dataset === 'songs') return Promise.resolve('auto'); // song keys are the column names
    jsonPaths ??= settings.jsonPaths ? Promise.resolve(settings.jsonPaths) : area.put('log_json_path.json', eventJsonPaths());
    return jsonPaths;
  };

  let units = 0;

  async function loadObject(client: pg.ClientBase, object: SourceObject, temp: string, folder: string, index: number): Promise<ObjectOutcome> {
    const manifest = await area.manifest(folder, `source-${index}`, [settings.sourceUrl(object)]);
    const columns = FIELDS[object.dataset].map((f) => f.column);
    try {
      await client.query(copyJsonManifest({ table: temp, columns, manifestUrl: manifest, iamRole: settings.iamRole, region: settings.region, jsonPaths: await pathsFor(object.dataset), maxError: settings.maxError }));
    } catch (err) {
      const fields = pgFields(err);
      throw fields ? new WarehouseError('COPY', `COPY of ${object.key} failed: ${(err as Error).message}`, { cause: err, table: STAGING_TABLE[object.dataset], sqlState: fields.code }) : err;
    }
    const { rows: [last] } = await client.query('SELECT pg_last_copy_id() AS id, pg_last_copy_count() AS n');
    const unloadable = object.dataset === 'events' ? await unconvertible(client, object, temp) : [];
    await client.query(`INSERT INTO ${wh.names.t(STAGING_TABLE[object.dataset])} (${columns.join(', ')}, source_key, source_line) SELECT ${columns.join(', ')}, $1, 0 FROM ${temp}`, [object.key]);
    await client.query(`DELETE FROM ${temp}`);
    const rejects = [...(await loadErrors(client, object, Number(last.id))), ...unloadable];
    await insertRejects(client, rejects);
    return { object, rows: Number(last.n) - unloadable.length, rejects: rejects.length, format: 'json', samples: rejects.slice(0, 3) };
  }

  /**
   * Redshift loads any BIGINT ts and any user id text, but a ts outside years
   * 0001–9999 can never be a start_time, nor "x1" a user_id, and one such row
   * would stop every model step: they are taken out of the COPY's temp table as
   * rejects, as stage mode's validation does (SPEC §3).
   */
  async function unconvertible(client: pg.ClientBase, object: SourceObject, temp: string): Promise<Reject[]> {
    const checks = unconvertibleEvent(temp);
    const any = checks.map((c) => c.where).join(' OR ');
    const which = `CASE ${checks.map((c, i) => `WHEN ${c.where} THEN ${i}`).join(' ')} END`;
    const { rows } = await client.query(`SELECT ${which} AS problem, ts, session_id, item_in_session, user_id FROM ${temp} WHERE ${any}`);
    if (rows.length === 0) return [];
    await client.query(`DELETE FROM ${temp} WHERE ${any}`);
    return rows.map((r) => {
      const check = checks[Number(r.problem)];
      const value = check.column === 'ts' ? String(r.ts) : JSON.stringify(r.user_id);
      return {
        dataset: object.dataset,
        key: object.key,
        line: 0,
        field: check.field,
        reason: `field "${check.field}" ${value} is not ${check.problem}`,
        // Direct mode never sees the source line: what Redshift loaded of it.
        raw: { text: `{"ts":${r.ts},"sessionId":${r.session_id},"itemInSession":${r.item_in_session},"userId":${JSON.stringify(r.user_id)}}`, escaped: false, truncated: true },
      };
    });
  }

  /** STL_LOAD_ERRORS rows of one COPY; CHAR-padded, hence TRIM (REDSHIFT-FACTS §3). */
  async function loadErrors(client: pg.ClientBase, object: SourceObject, queryId: number): Promise<Reject[]> {
    const { rows } = await client.query(
      `SELECT line_number, TRIM(colname) AS colname, err_code, TRIM(err_reason) AS err_reason, TRIM(raw_line) AS raw_line, TRIM(raw_field_value) AS raw_field_value
       FROM stl_load_errors WHERE query = $1 ORDER BY line_number`,
      [queryId],
    );
    const byColumn = new Map(FIELDS[object.dataset].map((f) => [f.column, f.json]));
    return rows.map((r) => {
      const field = byColumn.get(r.colname) ?? (r.colname || undefined);
      return {
        dataset: object.dataset,
        key: object.key,
        line: Number(r.line_number),
        field,
        reason: `Redshift load error ${r.err_code}${field ? ` in field "${field}"` : ''}: ${r.err_reason}${r.raw_field_value ? ` (value ${JSON.stringify(r.raw_field_value)})` : ''}`,
        // STL keeps at most 1024 bytes of the line, with multibyte characters shown as '.'.
        raw: { ...cutString(r.raw_line ?? '', wh.dialect.rawMaxBytes, false), truncated: true },
      };
    });
  }

  async function insertRejects(client: pg.ClientBase, rejects: readonly Reject[]): Promise<void> {
    const at = sqlTimestamp(new Date());
    for (let i = 0; i < rejects.length; i += 200) {
      const values: unknown[] = [];
      const rows = rejects.slice(i, i + 200).map((r) => {
        const base = values.length;
        values.push(runId, r.dataset, r.key, r.line, r.field ?? null, r.reason, r.raw.text, r.raw.escaped, r.raw.truncated, at);
        return `(${Array.from({ length: 10 }, (_, k) => `$${base + k + 1}`).join(', ')})`;
      });
      await client.query(`INSERT INTO ${wh.names.t('etl_rejects')} (run_id, dataset, source_key, source_line, field, reason, raw_text, raw_escaped, raw_truncated, rejected_at) VALUES ${rows.join(', ')}`, values);
    }
  }

  async function loadRemote(objects: readonly SourceObject[]): Promise<ObjectOutcome[]> {
    if (objects.length === 0) return [];
    const dataset = objects[0].dataset;
    const temp = `tmp_direct_${dataset}`;
    const folder = area.unit(`d${++units}`);
    const columns = FIELDS[dataset].map((f) => `${f.column} ${f.kind === 'int32' ? 'INTEGER' : f.kind === 'int64' ? 'BIGINT' : f.kind === 'number' ? 'DOUBLE PRECISION' : `VARCHAR(${f.maxBytes ?? 256})`}`);
    try {
      return await inTransaction(wh.pool, async (client) => {
        await client.query(`DROP TABLE IF EXISTS ${temp}`);
        await client.query(`CREATE TEMP TABLE ${temp} (${columns.join(', ')})`);
        await forgetObjects(client, ctx, dataset, objects.map((o) => o.key));
        const outcomes: ObjectOutcome[] = [];
        for (const [i, o] of objects.entries()) outcomes.push(await loadObject(client, o, temp, folder, i));
        await recordObjects(client, ctx, runId, outcomes);
        await client.query(`DROP TABLE ${temp}`);
        return outcomes;
      });
    } finally {
      await area.remove(folder);
    }
  }

  return {
    readOptions: { runId, nullToken: '\\N', limits: {}, raw: {} },
    readsLocally: false,
    commitBatch: () => Promise.reject(new ConfigError('direct mode does not read objects locally')),
    streamObject: () => Promise.reject(new ConfigError('direct mode does not read objects locally')),
    loadRemote,
    close: () => area.remove(),
  };
}
