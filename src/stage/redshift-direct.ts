/**
 * Redshift direct mode: what the classic project did. Redshift reads each
 * source object itself (`COPY … FORMAT AS JSON`), with no local validation;
 * its load errors are read back (SYS_LOAD_ERROR_DETAIL, or STL_LOAD_ERRORS
 * where SYS is absent: load-errors.ts) into etl_rejects.
 *
 * Redshift cannot tell which file a row came from, so each object gets its
 * own COPY (through a one-entry manifest, since a bare key is a prefix that
 * would also load `key.bak`) into a temp table, and is moved into staging with
 * its key. Lines are unknown: rows carry source_line 0, so two copies of an
 * event inside one object tie (stage mode keeps lines).
 *
 * The temp table has the staging table's NOT NULL columns, so a record
 * missing a required field is a load error of its own COPY (1213), hence one
 * reject, instead of a failed INSERT that would abort the whole batch.
 */
import type pg from 'pg';
import { EVENT_FIELDS, FIELDS, STAGING_TABLE, type Dataset } from '../common/datasets.ts';
import { copyJsonManifest } from '../dialect/redshift-copy.ts';
import { countDirectTemp, createDirectTemp, dropDirectTemp, emptyDirectTemp, insertFromDirectTemp, LAST_COPY_ID, SESSION_AND_START, unconvertibleDirectRows } from '../dialect/redshift-direct.ts';
import { ConfigError, WarehouseError, pgFields } from '../common/errors.ts';
import { decoding } from '../extract/decode.ts';
import { pickLines } from '../extract/pick-lines.ts';
import type { OpenedObject, SourceObject } from '../extract/source.ts';
import { cutString, rawText, type RawText } from '../extract/raw-text.ts';
import { pipe } from '../common/pipe.ts';
import { inTransaction, type Warehouse } from '../warehouse/connect.ts';
import { objectOutcome, type RemoteStagingBackend } from './backend.ts';
import { forgetObjects, insertRejects, lockForLoad, recordObjects } from '../ledger/index.ts';
import type { ObjectOutcome } from './outcome.ts';
import { findLoadErrorSource, readLoadErrors, type LoadError, type LoadErrorSource } from './load-errors.ts';
import { type Reject } from './reject-spool.ts';
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
  /** Opens a source object, to read the lines of its rejects when the load errors keep no text (SYS views). */
  open?: (object: SourceObject) => Promise<OpenedObject>;
}

/** The JSONPaths file of the staging columns, in order (the same as Udacity's log_json_path.json). */
export function eventJsonPaths(): string {
  return JSON.stringify({ jsonpaths: EVENT_FIELDS.map((f) => `$['${f.json}']`) }, null, 1);
}

export function redshiftDirectBackend(wh: Warehouse, runId: number, area: StagingArea, settings: RedshiftDirectSettings, neverLoaded?: Set<string>): RemoteStagingBackend {
  const ctx = { names: wh.names, dialect: wh.dialect, neverLoaded };
  let jsonPaths: Promise<string> | undefined;
  const pathsFor = (dataset: Dataset) => {
    if (dataset === 'songs') return Promise.resolve('auto'); // song keys are the column names
    jsonPaths ??= settings.jsonPaths ? Promise.resolve(settings.jsonPaths) : area.put('log_json_path.json', eventJsonPaths());
    return jsonPaths;
  };

  let units = 0;
  // Where load errors are read from, found once per run on a connection of its own.
  let errorSource: Promise<LoadErrorSource> | undefined;
  const errorsFrom = async () => {
    const source = await (errorSource ??= findLoadErrorSource(wh.pool));
    if (source === 'none') {
      throw new ConfigError('Redshift direct mode reads the load errors of its COPYs from SYS_LOAD_ERROR_DETAIL or STL_LOAD_ERRORS, and this user can read neither', {
        hint: 'use --redshift-mode stage (the default), which validates records before COPY',
      });
    }
    return source;
  };

  /** Who the load transaction is, for finding its COPYs' errors afterwards. */
  interface TransactionRef {
    sessionId: number;
    /** SYSDATE: when the transaction started, by the warehouse's clock [DG:r_SYSDATE]. */
    since: string;
    source: LoadErrorSource;
  }

  async function loadObject(client: pg.ClientBase, tx: TransactionRef, object: SourceObject, temp: string, folder: string, index: number): Promise<ObjectOutcome> {
    const url = settings.sourceUrl(object);
    const manifest = await area.manifest(folder, `source-${index}`, [url]);
    const columns = FIELDS[object.dataset].map((f) => f.column);
    try {
      await client.query(copyJsonManifest({ table: temp, columns, manifestUrl: manifest, iamRole: settings.iamRole, region: settings.region, jsonPaths: await pathsFor(object.dataset), maxError: settings.maxError }));
    } catch (err) {
      const fields = pgFields(err);
      throw fields ? new WarehouseError('COPY', `COPY of ${object.key} failed: ${(err as Error).message}`, { cause: err, table: STAGING_TABLE[object.dataset], sqlState: fields.code }) : err;
    }
    // Rows Redshift loaded that the model could never convert leave the temp table as rejects first.
    const unloadable = object.dataset === 'events' ? await unconvertible(client, object, temp) : [];
    // Rows loaded: the temp table holds this object's only (no pg_last_copy_count() needed).
    const { rows: [loaded] } = await client.query(countDirectTemp(temp));
    // STL rows name their COPY by query id; SYS rows by session, start time and file.
    const queryId = tx.source === 'stl' ? Number((await client.query(LAST_COPY_ID)).rows[0].id) : undefined;
    await client.query(insertFromDirectTemp(wh.names, STAGING_TABLE[object.dataset], temp, columns), [object.key]);
    await client.query(emptyDirectTemp(temp));
    const errors = await readLoadErrors(wh.pool, tx.source, { sessionId: tx.sessionId, since: tx.since, file: url, queryId });
    const rejects = [...(await toRejects(object, errors)), ...unloadable];
    await insertRejects(client, wh.names, runId, rejects);
    return objectOutcome({ object, rows: Number(loaded.n), format: 'json', rejects: { count: rejects.length, samples: rejects } });
  }

  /**
   * Redshift loads any BIGINT ts and any user id text, but a ts outside years
   * 0001–9999 can never be a start_time, nor "x1" a user_id, and one such row
   * would stop every model step: they are taken out of the COPY's temp table as
   * rejects, as stage mode's validation does (SPEC §3).
   */
  async function unconvertible(client: pg.ClientBase, object: SourceObject, temp: string): Promise<Reject[]> {
    const { checks, select, remove } = unconvertibleDirectRows(temp);
    const { rows } = await client.query(select);
    if (rows.length === 0) return [];
    await client.query(remove);
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

  /** Load errors as rejects; their raw text from STL, or from the object's own lines (SYS keeps none). */
  async function toRejects(object: SourceObject, errors: readonly LoadError[]): Promise<Reject[]> {
    const lines = errors.some((e) => e.rawLine === undefined) ? await linesOf(object, new Set(errors.map((e) => e.line))) : new Map<number, RawText>();
    const byColumn = new Map(FIELDS[object.dataset].map((f) => [f.column, f.json]));
    return errors.map((e) => {
      const field = byColumn.get(e.column) ?? (e.column || undefined);
      return {
        dataset: object.dataset,
        key: object.key,
        line: e.line,
        field,
        reason: `Redshift load error ${e.code}${field ? ` in field "${field}"` : ''}: ${e.reason}${e.rawValue ? ` (value ${JSON.stringify(e.rawValue)})` : ''}`,
        // STL keeps at most 1024 bytes of the line, with multibyte characters shown as '.'.
        raw: e.rawLine !== undefined ? { ...cutString(e.rawLine, wh.dialect.rawMaxBytes, false), truncated: true } : (lines.get(e.line) ?? { text: '', escaped: false, truncated: true }),
      };
    });
  }

  /** The raw text of some lines of a source object (empty when it cannot be read again). */
  async function linesOf(object: SourceObject, wanted: Set<number>): Promise<Map<number, RawText>> {
    if (!settings.open) return new Map();
    const max = wh.dialect.rawMaxBytes;
    try {
      const opened = await settings.open(object);
      let picked = new Map<number, Buffer>();
      await pipe([opened.body, ...decoding(opened, object.key, object.size).stages, async (body: AsyncIterable<Buffer>) => {
        picked = await pickLines(body, wanted, max);
      }]);
      return new Map([...picked].map(([line, bytes]) => [line, rawText(bytes, { maxBytes: max })]));
    } catch {
      // The object changed or vanished since the COPY: the reject keeps its reason and line.
      return new Map();
    }
  }

  async function loadRemote(objects: readonly SourceObject[]): Promise<ObjectOutcome[]> {
    if (objects.length === 0) return [];
    const dataset = objects[0].dataset;
    const temp = `tmp_direct_${dataset}`;
    const folder = area.unit(`d${++units}`);
    const source = await errorsFrom();
    try {
      return await inTransaction(wh.pool, async (client) => {
        await lockForLoad(client, ctx);
        const { rows: [me] } = await client.query(SESSION_AND_START);
        const tx: TransactionRef = { sessionId: Number(me.pid), since: String(me.since), source };
        for (const sql of createDirectTemp(temp, FIELDS[dataset])) await client.query(sql);
        await forgetObjects(client, ctx, dataset, objects.map((o) => o.key));
        const outcomes: ObjectOutcome[] = [];
        for (const [i, o] of objects.entries()) outcomes.push(await loadObject(client, tx, o, temp, folder, i));
        await recordObjects(client, ctx, runId, outcomes);
        await client.query(dropDirectTemp(temp));
        return outcomes;
      });
    } finally {
      await area.remove(folder);
    }
  }

  return { kind: 'remote', loadRemote, close: () => area.remove() };
}
