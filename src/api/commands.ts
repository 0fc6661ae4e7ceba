/**
 * The commands that are one call on an open warehouse: create-tables,
 * status, report, check, rejects. Each resolves config from its options,
 * opens the warehouse, does its work, closes, and returns what it found.
 */
import { describeTarget, type Config } from '../config/index.ts';
import { UsageError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { checksPassed, runChecks, type CheckResult } from '../check/index.ts';
import { readStatus, type StatusReport } from '../ledger/status.ts';
import { findRejects, type RejectList, type RejectQuery } from '../ledger/index.ts';
import type { Report } from '../report/index.ts';
import { describeDestination } from '../run/etl.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { createTables as makeTables, requireTables } from '../warehouse/tables.ts';
import { configOf, logOf, type CommonOptions } from './options.ts';
import { apiCall, withWarehouse } from './session.ts';

export interface CreateTablesOptions extends CommonOptions {
  /** Drop every table first: all loaded data is lost. */
  reset?: boolean;
  /** Called before a reset drops anything, with what it drops (`every sparkify table in schema s of postgres://…`); throw to cancel. */
  confirmReset?: (what: string) => Promise<void>;
}

export interface CreateTablesResult {
  /** Which kind of warehouse. */
  target: 'postgres' | 'redshift' | 'embedded';
  schema: string | null;
  reset: boolean;
}

/** Creates the staging, star-schema and bookkeeping tables (idempotent), under the run lock. */
export function createTables(options: CreateTablesOptions = {}): Promise<CreateTablesResult> {
  return apiCall(async () => {
    const config = configOf(options);
    if (options.reset && options.confirmReset) {
      await options.confirmReset(`every sparkify table in ${config.schema ? `schema ${config.schema}` : 'the default schema'} of ${describeTarget(config.target)}`);
    }
    await withWarehouse(config, logOf(options), (wh) => makeTables(wh, { reset: options.reset }), { lock: true, signal: options.signal });
    return { target: config.target.kind, schema: config.schema ?? null, reset: !!options.reset };
  });
}

export interface StatusOptions extends CommonOptions {
  /** How many recent runs to show (default 10). */
  runs?: number;
}

/** What is loaded (by data set and day), the last runs, rejects by reason, and where it read that. */
export function status(options: StatusOptions = {}): Promise<StatusReport> {
  return onTables(options, async (wh, config) => ({ destination: describeDestination(wh, config), ...(await readStatus(wh, { runs: options.runs })) }));
}

export interface ReportOptions extends CommonOptions {
  /** Also write the report as one self-contained HTML page to this file. */
  html?: string;
}

/** The analysts' questions (sql/report/*.sql), answered. */
export function report(options: ReportOptions = {}): Promise<Report> {
  return apiCall(async () => {
    const config = configOf(options);
    // The report and its charting library (ECharts costs ~100 MB and 0.4 s to load): only when asked for.
    const { runReport, writeReportHtml } = await import('../report/index.ts');
    const result = await withTables(config, logOf(options), (wh) => runReport(wh));
    if (options.html) {
      await writeReportHtml(result, options.html);
      logOf(options).info(`wrote ${options.html}`);
    }
    return result;
  });
}

/** The data-quality checks over the whole tables: rows, unique keys, references, staging vs songplays, rejects. */
export function check(options: CommonOptions = {}): Promise<{ ok: boolean; checks: CheckResult[] }> {
  return onTables(options, async (wh) => {
    const checks = await runChecks(wh);
    return { ok: checksPassed(checks), checks };
  });
}

export interface RejectsOptions extends CommonOptions, Omit<RejectQuery, 'limit'> {
  /** At most this many rejects (default 50); a positive integer. */
  limit?: number | string;
}

/** Rejected records (etl_rejects), newest first, filtered by object key and reason text. */
export function rejects(options: RejectsOptions = {}): Promise<RejectList> {
  return apiCall(async () => {
    const limit = Number(options.limit ?? 50);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(options.limit)}`);
    return withTables(configOf(options), logOf(options), (wh) => findRejects(wh.pool, wh, { object: options.object, reason: options.reason, limit }));
  });
}

/** Reads from the loader's tables, which must exist. */
function onTables<T>(options: CommonOptions, work: (wh: Warehouse, config: Config) => Promise<T>): Promise<T> {
  return apiCall(() => withTables(configOf(options), logOf(options), work));
}

async function withTables<T>(config: Config, log: Logger, work: (wh: Warehouse, config: Config) => Promise<T>): Promise<T> {
  return withWarehouse(config, log, async (wh) => {
    await requireTables(wh);
    return work(wh, config);
  });
}
