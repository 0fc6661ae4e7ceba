/**
 * sparkify as a library: each command of the CLI as one function.
 *
 * ```ts
 * import { etl, createTables, report, SparkifyError } from 'sparkify';
 *
 * await createTables({ target: 'postgres://me@localhost:5432/dwh' });
 * const run = await etl({ target: 'postgres://me@localhost:5432/dwh', logs: './data/log_data', songs: './data/song_data' });
 * if (run.status !== 'ok') console.error(run.error);
 * ```
 *
 * - Options in: the command-line flags by their camelCase names (`maxErrors: 5`
 *   for `--max-errors 5`), resolved as the CLI resolves them — options, then the
 *   environment (`env`, default process.env), then dwh.cfg (in `cwd`), then the
 *   defaults. `log` receives the log lines (default: none), `signal` stops the work.
 * - Result objects out: what `--json` prints for the same command.
 * - Each call connects, works and closes; none prints or exits the process.
 * - Every error thrown is a SparkifyError whose `code` says what failed: USAGE
 *   (bad options), CONFIG, SOURCE, CONNECTION, SQL, COPY, LOCKED, SCHEMA,
 *   WORKER, INTERRUPTED, SYSTEM (a file or program that cannot be used) or INTERNAL.
 *   A load that ends with failed objects or too many rejects is not thrown: its
 *   summary's `status` says `failed` or `rejects`.
 */
export { etl, model, type EtlOptions } from './api/etl.ts';
export { check, createTables, rejects, report, status, type CreateTablesOptions, type CreateTablesResult, type RejectsOptions, type ReportOptions, type StatusOptions } from './api/commands.ts';
export { doctor, type DoctorResult } from './api/doctor.ts';
export { demo, type DemoOptions } from './api/demo.ts';
export { generate } from './api/generate.ts';
export type { CommonOptions, Settings } from './api/options.ts';

export type { EtlSummary } from './run/summary.ts';
export type { Phase, ProgressReporter, ProgressSnapshot } from './run/progress.ts';
export type { StatusReport } from './ledger/status.ts';
export type { RejectList, RejectRow } from './ledger/index.ts';
export type { CheckResult } from './check/index.ts';
export type { Report } from './report/index.ts';
export type { GenerateOptions, GenerateSummary } from './generate/index.ts';
export { SparkifyError, type ErrorCode } from './common/errors.ts';
export { createLogger, type Logger, type LoggerOptions, type LogFields } from './common/log.ts';
