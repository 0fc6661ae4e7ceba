/**
 * Runs a parsed COPY … FROM 's3://…': resolves the table and its columns on
 * the session's own connection (so a table created in the open transaction is
 * seen), reads every file, converts each record, streams good rows into the
 * table with COPY FROM STDIN inside the client's transaction, and writes bad
 * ones to STL_LOAD_ERRORS on the bookkeeping pool. When bad rows reach
 * MAXERROR the COPY is abandoned (CopyFail) and fails with Redshift's XX000
 * message. Memory: one record plus a 64 KiB write buffer.
 * [REDSHIFT-FACTS §1–§3]
 */
import { once } from 'node:events';
import type { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { CopyCommand } from './copy-options.ts';
import { delimitedRow, jsonRow, type JsonMapping, type RowResult } from './copy-rows.ts';
import { DelimitedReader } from './csv-reader.ts';
import { dateTimeReader } from './datetime-format.ts';
import { internalError, StandinError } from './errors.ts';
import { JsonPathFailure, parseJsonPathsFile } from './json-paths.ts';
import { JsonRootSplitter } from './json-reader.ts';
import { nextQueryId, recordLoadErrors, recordLoadHistory, type LoadContext, type LoadErrorRow } from './load-errors.ts';
import { listPrefix, openObject, parseS3Url, readManifest, readSmallObject } from './s3-source.ts';
import type { Upstream } from './upstream.ts';
import { USE_DEFAULT, type Cell, type ColumnKind, type ConvertOptions, type TargetColumn } from './value-convert.ts';

export interface CopyEnvironment {
  upstream: Upstream;
  s3: S3Client;
  /** Autocommit pool on the same database, for STL rows and query ids. */
  bookkeeping: pg.Pool;
  /** The region the emulated cluster is in; COPY … REGION must match it. */
  region: string;
  /** Buckets outside `region`, with their regions. */
  bucketRegions: ReadonlyMap<string, string>;
  sessionId: number;
  userId: number;
  info(message: string): void;
  setLastCopy(id: number, count: number): void;
}

interface TableInfo {
  oid: number;
  schema: string;
  name: string;
  columns: (TargetColumn & { generated: boolean })[];
}

const KINDS: Record<string, ColumnKind> = {
  int2: 'int2', int4: 'int4', int8: 'int8', numeric: 'numeric', float4: 'float4', float8: 'float8', bool: 'bool',
  varchar: 'varchar', rs_varchar: 'varchar', bpchar: 'char', text: 'varchar', date: 'date', timestamp: 'timestamp', timestamptz: 'timestamptz', time: 'time', timetz: 'time',
};

async function describeTable(up: Upstream, tableText: string): Promise<TableInfo> {
  const [rel] = await up.run(
    `SELECT c.oid::text, c.relname, c.relkind, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
    [tableText],
  );
  if (rel.rows.length === 0) throw new StandinError('42P01', `relation "${tableText.replace(/"/g, '')}" does not exist`);
  const [oid, name, relkind, schema] = rel.rows[0] as string[];
  if (relkind !== 'r' && relkind !== 'p') throw new StandinError('42809', `cannot COPY into "${name}": it is not a table`);
  const [cols] = await up.run(
    `SELECT a.attname, t.typname, a.atttypmod::text, a.attnotnull::text, a.atthasdef::text, (a.attidentity <> '')::text, (a.attgenerated <> '')::text
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const columns = cols.rows.map((r) => {
    const [attname, typname, typmod, notnull, hasdef, identity, generated] = r as string[];
    const kind = KINDS[typname] ?? 'other';
    const mod = Number(typmod);
    const col: TargetColumn & { generated: boolean } = {
      name: attname, kind, typname, notNull: notnull === 'true', hasDefault: hasdef === 'true', identity: identity === 'true', generated: generated === 'true',
    };
    if ((kind === 'varchar' || kind === 'char') && mod > 4) col.length = mod - 4;
    if (typname === 'text') col.length = 65535;
    if (kind === 'numeric') {
      col.precision = mod > 4 ? ((mod - 4) >> 16) & 0xffff : 38;
      col.scale = mod > 4 ? (mod - 4) & 0xffff : 0;
    }
    return col;
  });
  return { oid: Number(oid), schema, name, columns };
}

/** Column mapping [DG:copy-parameters-column-mapping]: IDENTITY columns are left out unless EXPLICIT_IDS. */
function chooseTargets(table: TableInfo, cmd: CopyCommand): TargetColumn[] {
  if (!cmd.columns) return table.columns.filter((c) => !c.generated && (!c.identity || cmd.explicitIds));
  const seen = new Set<string>();
  return cmd.columns.map((name) => {
    const col = table.columns.find((c) => c.name === name);
    if (!col) throw new StandinError('42703', `column "${name}" of relation "${table.name}" does not exist`);
    if (seen.has(name)) throw new StandinError('42701', `column "${name}" specified more than once`);
    seen.add(name);
    if (col.identity && !cmd.explicitIds) throw new StandinError('0A000', `cannot set an identity column to a value (column "${name}"); use EXPLICIT_IDS`);
    return col;
  });
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const DEFAULT_MARKER = '\\D';

/** Good rows go to Postgres as CSV: NULL unquoted-empty, values always quoted, `\D` for "use the DEFAULT". */
function csvLine(cells: Cell[]): string {
  return `${cells.map((c) => (c === null ? '' : c === USE_DEFAULT ? DEFAULT_MARKER : `"${c.replace(/"/g, '""')}"`)).join(',')}\n`;
}

/** A COPY FROM STDIN on the session's connection, fed in 64 KiB writes. */
class CopySink {
  private readonly stream: ReturnType<typeof copyStreams.from>;
  private pending: string[] = [];
  private size = 0;
  /** Postgres' own error for the COPY (e.g. a constraint), relayed to the client as is. */
  private failure: Error | undefined;

  constructor(client: pg.Client, sql: string) {
    this.stream = client.query(copyStreams.from(sql));
    this.stream.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  async write(line: string): Promise<void> {
    this.pending.push(line);
    this.size += line.length;
    if (this.size >= 65536) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async finish(): Promise<void> {
    await this.flush();
    // pg-copy-streams emits 'finish' only once Postgres has made the rows visible (ReadyForQuery).
    const done = new Promise<void>((resolve, reject) => {
      this.stream.once('finish', resolve);
      this.stream.once('error', reject);
    });
    this.stream.end();
    await done;
  }

  /** Sends CopyFail so nothing of this COPY is kept, and waits until the connection is usable again. */
  async abort(reason: string): Promise<void> {
    // After a Postgres error the COPY is already over (pg has seen ReadyForQuery or will queue behind it).
    if (this.failure || this.stream.destroyed) return;
    // Not events.once(): the 'error' Postgres answers CopyFail with is expected here, 'close' follows it.
    const closed = new Promise<void>((resolve) => this.stream.once('close', () => resolve()));
    this.stream.destroy(new Error(reason));
    await closed;
  }
}

class LoadFailed extends Error {}

export async function runCopy(cmd: CopyCommand, env: CopyEnvironment): Promise<void> {
  const table = await describeTable(env.upstream, cmd.tableText);
  const targets = chooseTargets(table, cmd);
  // Without REGION every bucket COPY reads must be in the cluster's region; with it, every one
  // (the manifest's and the JSONPaths file's included) in that region [DG:copy-parameters-data-source-s3].
  const region = cmd.region ?? env.region;
  const checkRegion = (url: string): void => {
    if ((env.bucketRegions.get(parseS3Url(url).bucket) ?? env.region) !== region) {
      throw internalError('S3ServiceException:The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.,Status 301,Error PermanentRedirect', `while reading ${url}`);
    }
  };
  checkRegion(cmd.from);
  if (cmd.jsonOption.startsWith('s3://')) checkRegion(cmd.jsonOption);
  const mapping = await jsonMapping(cmd, env, targets.length);
  const files = cmd.manifest ? await readManifest(env.s3, cmd.from) : await listPrefix(env.s3, cmd.from);
  for (const file of files) checkRegion(file.url);
  const queryId = await nextQueryId(env.bookkeeping);
  // Set when loading begins, so it also names a load that fails on bad data [DG:PG_LAST_COPY_ID].
  env.setLastCopy(queryId, 0);
  const opts: ConvertOptions = {
    emptyAsNull: cmd.emptyAsNull, blanksAsNull: cmd.blanksAsNull, truncateColumns: cmd.truncateColumns, roundec: cmd.roundec,
    trimBlanks: cmd.trimBlanks, acceptAnyDate: cmd.acceptAnyDate,
    date: dateTimeReader(cmd.dateFormat, 'date'), timestamp: dateTimeReader(cmd.timeFormat, 'timestamp'), timestamptz: dateTimeReader(cmd.timeFormat, 'timestamptz'),
  };
  // The database's clock, as SYSDATE and GETDATE read it (before the COPY takes the connection).
  const [now] = await env.upstream.run(`SELECT (clock_timestamp() AT TIME ZONE 'UTC')::text`);
  const load: LoadContext = { userid: env.userId, tbl: table.oid, starttime: now.rows[0][0] as string, session: env.sessionId, query: queryId };
  const columnList = targets.map((c) => quoteIdent(c.name)).join(', ');
  const sink = cmd.noLoad
    ? undefined
    : new CopySink(env.upstream.client, `COPY ${quoteIdent(table.schema)}.${quoteIdent(table.name)} (${columnList}) FROM STDIN WITH (FORMAT csv, DEFAULT '${DEFAULT_MARKER}')`);
  const errors: LoadErrorRow[] = [];
  // MAXERROR n: the load fails once n errors are reached; 0 and 1 both fail on the first [DG:copy-parameters-data-load].
  const failAt = Math.max(cmd.maxError, 1);
  let loaded = 0;
  const history = (status: 'completed' | 'aborted') =>
    recordLoadHistory(env.bookkeeping, load, { status, tableName: table.name, dataSource: cmd.from, fileFormat: cmd.format === 'text' ? 'txt' : cmd.format, loadedRows: status === 'completed' && !cmd.noLoad ? loaded : 0, fileCount: files.length, errorCount: errors.length });
  try {
    let found = 0;
    for (const file of files) {
      const body = await openObject(env.s3, file, cmd.compression);
      if (!body) {
        if (file.mandatory) throw internalError(`S3ServiceException:The specified key does not exist.,Status 404,Error NoSuchKey`, `mandatory manifest entry ${file.url} was not found`);
        continue;
      }
      found++;
      for await (const result of readFile(body, cmd, targets, mapping, opts)) {
        if (result.ok) {
          await sink?.write(csvLine(result.cells));
          loaded++;
        } else {
          errors.push({ filename: file.url, ...result.error });
          if (errors.length >= failAt) throw new LoadFailed();
        }
      }
    }
    if (found === 0) throw internalError('Manifest file has no entries that exist, so no files were found to load', `FROM '${cmd.from}'`);
    await sink?.finish();
  } catch (err) {
    await sink?.abort(err instanceof Error ? err.message : String(err));
    await recordLoadErrors(env.bookkeeping, load, errors);
    await history('aborted');
    if (err instanceof LoadFailed) throw internalError(`Load into table '${table.name}' failed.  Check 'stl_load_errors' system table for details.`);
    if (err instanceof JsonPathFailure) throw internalError(err.message);
    if (err instanceof Error && (err as { code?: string }).code === 'Z_DATA_ERROR') throw internalError(`gzip: ${err.message}`, 'an input file is not valid gzip data');
    throw err;
  }
  await recordLoadErrors(env.bookkeeping, load, errors);
  await history('completed');
  const count = cmd.noLoad ? 0 : loaded;
  env.setLastCopy(queryId, count);
  env.info(`Load into table '${table.name}' completed, ${count} record(s) loaded successfully.`);
  if (errors.length > 0) {
    env.info(`Load into table '${table.name}' completed, ${errors.length} record(s) could not be loaded.  Check 'stl_load_errors' system table for details.`);
  }
}

async function jsonMapping(cmd: CopyCommand, env: CopyEnvironment, columns: number): Promise<JsonMapping | undefined> {
  if (cmd.format !== 'json') return undefined;
  if (!cmd.jsonOption.startsWith('s3://')) return { ignoreCase: cmd.jsonOption === 'auto ignorecase' };
  const raw = await readSmallObject(env.s3, cmd.jsonOption);
  if (raw === undefined) throw internalError(`S3ServiceException:The specified key does not exist.,Status 404,Error NoSuchKey`, `JSONPaths file ${cmd.jsonOption} was not found`);
  const paths = parseJsonPathsFile(raw, cmd.jsonOption);
  if (!paths) return { ignoreCase: false };
  if (paths.length !== columns) {
    throw internalError(`Number of jsonpaths and the number of columns should match. JSONPath size: ${paths.length}, Number of columns in table or column list: ${columns}`);
  }
  return { paths };
}

async function* readFile(
  body: AsyncIterable<Buffer>,
  cmd: CopyCommand,
  targets: TargetColumn[],
  mapping: JsonMapping | undefined,
  opts: ConvertOptions,
): AsyncGenerator<RowResult> {
  if (mapping) {
    const splitter = new JsonRootSplitter(cmd.ignoreHeader);
    for await (const chunk of body) for (const piece of splitter.push(chunk)) yield jsonRow(piece, targets, mapping, cmd, opts);
    for (const piece of splitter.end()) yield jsonRow(piece, targets, mapping, cmd, opts);
    return;
  }
  const reader = new DelimitedReader({
    csv: cmd.format === 'csv',
    delimiter: cmd.delimiter.charCodeAt(0),
    quote: cmd.quote.charCodeAt(0),
    escape: cmd.escape,
    removeQuotes: cmd.removeQuotes,
    ignoreHeader: cmd.ignoreHeader,
    ignoreBlankLines: cmd.ignoreBlankLines,
  });
  for await (const chunk of body) for (const rec of reader.push(chunk)) yield delimitedRow(rec, targets, cmd, opts);
  for (const rec of reader.end()) yield delimitedRow(rec, targets, cmd, opts);
}
