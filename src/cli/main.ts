#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4
/**
 * The `sparkify` command. It only parses arguments, resolves config and calls
 * the stages; exit codes: 0 ok, 1 failure, 2 usage error, 3 rejects over
 * --max-errors or a failed check, 130/143 interrupted.
 *
 * The shebang bounds memory: V8 otherwise grows its young generation to
 * 128 MB on a big machine (4 MB semi-spaces cost no measurable speed here), and glibc keeps a malloc arena per thread; with
 * both capped a load stays under 200 MB of RSS however much it reads.
 */
import { Command, CommanderError, Option } from 'commander';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline/promises';
import { describeTarget, resolveConfig, type Config, type Flags, type KeyFilterRule } from '../config/index.ts';
import { describeError, SparkifyError, UsageError } from '../common/errors.ts';
import { createLogger, type Logger, type LogFormat } from '../common/log.ts';
import { openWarehouse, type Warehouse } from '../warehouse/connect.ts';
import { embeddedExists } from '../warehouse/embedded.ts';
import { createTables, requireTables } from '../warehouse/tables.ts';
import { withRunLock, type RunLock } from '../warehouse/lock.ts';
import { runModel } from '../run/model-run.ts';
import { shardName, type Shard } from '../common/shard.ts';
import { explainFailure } from '../warehouse/explain.ts';
import { readStatus, renderStatus } from './status.ts';
import { describeDestination, requireSources, runEtl } from '../run/etl.ts';
import { newSummary, processCpuMs, type EtlSummary } from '../run/summary.ts';
import { listRejects, renderRejects } from './rejects.ts';
import { renderDoctor, runDoctor } from './doctor.ts';
import { guardOutputStreams, userMessage } from './errors.ts';
import { exitCodeOf, failureJson, humanSummary, printJson, rememberSummary } from './output.ts';
import { plainProgress } from './progress.ts';
import { redact } from '../common/redact.ts';
import { handleStopSignals, type StopSignals } from './signals.ts';
import { checksAfterRun, runChecks, renderChecks, checksPassed } from '../check/index.ts';
import type { ProgressReporter } from './progress.ts';
import { generateSample } from '../generate/index.ts';
import { demoSample } from './demo.ts';

/** package.json, found upwards from this file (src/ when run from source, dist/src/ when built). */
function packageInfo(): { version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
}
const pkg = packageInfo();

// V8 otherwise lets the old generation grow to about twice its live size before
// collecting: a run over 100,000 objects would hold ~70 MB of garbage. Read by
// V8 at every collection, so it takes effect here; unknown flags are ignored.
setFlagsFromString('--heap-growing-percent=50');

interface CommonFlags extends Flags {
  json?: boolean;
  skipChecks?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  reset?: boolean;
  yes?: boolean;
  logFormat?: LogFormat;
}

/** Flags every warehouse command takes. */
function withCommon(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'dwh.cfg to read (default: ./dwh.cfg when present)')
    .option(
      '--target <url>',
      'postgres://user@host:port/db (the database must exist), redshift://user@host:5439/db, embedded or embedded:/some/dir (default: DATABASE_URL, else [CLUSTER] in dwh.cfg, else embedded in ./.sparkify)',
    )
    .option('--schema <name>', 'schema for every table (default: [CLUSTER] SCHEMA in dwh.cfg, else the database default schema)')
    .option('--iam-auth', 'Redshift: sign in with temporary IAM credentials instead of a password (default: [CLUSTER] IAM_AUTH)')
    .option('--cluster-id <id>', 'Redshift IAM sign-in: cluster identifier (default: [CLUSTER] CLUSTER_ID, else from the host)')
    .option('--workgroup <name>', 'Redshift Serverless IAM sign-in: workgroup name (default: [CLUSTER] WORKGROUP, else from the host)')
    .option('--cluster-region <region>', "Redshift: the cluster's region (default: [CLUSTER] REGION, else from the host)")
    .option('--json', 'print one JSON summary on stdout; logs go to stderr')
    .addOption(new Option('--log-format <format>', 'stderr lines as text, or json: one object per line (time, level, runId, event, message, fields)').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'only warnings and errors on stderr')
    .option('-v, --verbose', 'debug lines on stderr');
}

/** Position of each --include/--exclude on the command line: AWS CLI filters apply in the order given. */
let filterOrder = 0;
const collectFilter =
  (kind: KeyFilterRule['kind']) =>
  (pattern: string, previous: (KeyFilterRule & { order: number })[] = []) => [...previous, { kind, pattern, order: filterOrder++ }];

/** Flags of commands that read the sources (etl, run, doctor). */
function withSources(cmd: Command): Command {
  return withS3(
    withCommon(cmd)
      .option('--songs <url>', 'song data: s3://bucket/prefix or a folder (default: [S3] SONG_DATA)')
      .option('--logs <url>', 'event logs: s3://bucket/prefix or a folder (default: [S3] LOG_DATA)')
      .option('--include <pattern>', 'also read objects matching PATTERN (AWS CLI rules: * matches across /, later filters win; default: *.json, *.jsonl, *.ndjson and their .gz)', collectFilter('include'))
      .option('--exclude <pattern>', 'skip objects matching PATTERN (relative to the source prefix or folder); repeatable, in order with --include', collectFilter('exclude')),
  );
}

/** Flags of commands that reach S3: the sources, or Redshift's staging prefix (etl, run, doctor, model). */
function withS3(cmd: Command): Command {
  return cmd
    .option('--profile <name>', 'AWS shared-config profile for S3 (default: AWS_PROFILE, [S3] PROFILE, else the standard chain)')
    .option('--timeout <seconds>', 'network silence before an S3 request or connection attempt is abandoned, and longest wait for a table another session has locked (default 60)')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3, [S3] ENDPOINT)')
    .option('--s3-region <region>', "AWS region of the sources (default: AWS_REGION, [S3] REGION, us-west-2)")
    .option('--staging-region <region>', "Redshift: region of the staging bucket (default: [S3] STAGING_REGION, else the sources' region)")
    .option('--s3-path-style', 'path-style bucket addressing (most S3-compatible servers need it)')
    .option('--no-sign-request', 'read a public bucket without credentials')
    .option('--iam-role <arn>', 'Redshift: IAM role for COPY (default: [IAM_ROLE] ARN)')
    .option('--staging-prefix <s3url>', 'Redshift stage mode: where gzipped CSV parts go (default: [S3] STAGING_PREFIX)');
}

/** Flags of commands that load. */
function withLoad(cmd: Command): Command {
  return withWriting(withSources(cmd))
    .option('--concurrency <n>', "at most N small objects read at once (default: adapts to the source's latency, 8 to 128)")
    .option('--workers <n>', 'worker threads that parse, validate and encode rows on Postgres (default: the cores the warehouse connection leaves; 0 on 2 cores with a local Postgres; [ETL] WORKERS)')
    .option('--max-errors <n>', "rejects allowed before exiting 3 (default 0); the good rows load either way, unlike Redshift's MAXERROR")
    .option('--allow-empty', 'a source that lists no object is not an error (default: it is, exit 1)')
    .option('--since <YYYY-MM-DD>', 'only log objects of this day or later (day read from the key)')
    .option('--until <YYYY-MM-DD>', 'only log objects of this day or earlier')
    .option('--full-refresh', 'reload every object, ignoring ETags: all of them, forgetting all staged data first and rebuilding the star schema; with --since/--until only the log objects of those days')
    .option('--prune', 'remove staged rows of objects no longer in the source')
    .option('--dry-run', 'list what would load and be pruned; change nothing anywhere (no table, no run row)')
    .option('--json-paths <s3url>', 'Redshift direct mode: JSONPaths file (default: [S3] LOG_JSONPATH)')
    .addOption(new Option('--redshift-mode <mode>', 'Redshift: stage (validate locally, default) or direct (COPY … JSON)').choices(['stage', 'direct']));
}

/** Flags of commands that take the run lock and may build the star schema (etl, run, model). */
function withWriting(cmd: Command): Command {
  return cmd
    .option('--wait <seconds>', "wait up to SECONDS for another run's lock instead of failing at once (default 0)")
    .option('--rejects-retention <days>', 'delete rejects older than DAYS after the run (default: keep them; [ETL] REJECTS_RETENTION_DAYS)')
    .option('--skip-checks', 'do not run the data-quality checks after the load (run `sparkify check` on your own schedule)')
    .option('--retries <n>', 'retries of a failed object, transaction or model step on a transient error (default 4)')
    .option('--swap-wait <seconds>', "how long a full build waits for a gap in analysts' reads to swap its tables in, before reloading them in place (default 60)");
}

/** The report and its charting library (ECharts costs ~100 MB and 0.4 s to load): only for commands that need it. */
const loadReport = () => import('../report/index.ts');

function loggerFor(flags: CommonFlags, write?: (line: string) => void): Logger {
  return createLogger({ quiet: flags.quiet, verbose: flags.verbose, write, format: flags.logFormat });
}

/** A live line when stderr is a terminal (and no --json or --log-format json); plain lines on stderr otherwise. */
async function progressFor(flags: CommonFlags): Promise<{ log: Logger; progress: ProgressReporter }> {
  const live = process.stderr.isTTY && !flags.json && !flags.quiet && flags.logFormat !== 'json';
  const tty = live ? (await import('./progress-tty.ts')).ttyProgress(process.stderr) : undefined;
  const log = loggerFor(flags, tty ? (line) => tty.write(line) : undefined);
  return { log, progress: tty ?? plainProgress(log) };
}

/** commander gives `signRequest: false` for --no-sign-request, and --include/--exclude as two lists. */
function toFlags(raw: Record<string, unknown>): CommonFlags {
  const { signRequest, include, exclude, ...rest } = raw;
  const filters = [...((include as (KeyFilterRule & { order: number })[]) ?? []), ...((exclude as (KeyFilterRule & { order: number })[]) ?? [])]
    .sort((a, b) => a.order - b.order)
    .map(({ kind, pattern }) => ({ kind, pattern }));
  return { ...(rest as CommonFlags), noSignRequest: signRequest === false ? true : undefined, filters: filters.length ? filters : undefined };
}

/**
 * Opens the warehouse for `work`. With `lock` (every command that writes), the
 * run lock is held around all of it: one writing command at a time per schema.
 */
async function withWarehouse<T>(config: Config, log: Logger, work: (wh: Warehouse, lock?: RunLock) => Promise<T>, options: { lock?: boolean; stop?: StopSignals; shard?: Shard } = {}): Promise<T> {
  const wh = await openWarehouse(config, log, { signal: options.stop?.signal });
  options.stop?.holdExit(() => wh.interrupting);
  try {
    return options.lock ? await withRunLock(wh, config.runner, (lock) => work(wh, lock), { waitSeconds: config.load.waitSeconds, log, signal: options.stop?.signal, shard: options.shard }) : await work(wh);
  } catch (err) {
    // A lock wait that ran out names the table and who holds it; a full disk, the table.
    throw await explainFailure(wh, err, config.load.timeoutSeconds);
  } finally {
    await wh.close().catch((err: unknown) => log.warn(`closing the warehouse: ${describeError(err)}`));
  }
}

async function etlCommand(name: 'etl' | 'run' | 'model', raw: Record<string, unknown>): Promise<number> {
  const flags = toFlags(raw);
  if (name === 'model') flags.modelOnly = true;
  const config = resolveConfig(flags, process.env);
  if (config.load.modelOnly) return loadAndReport(config, 'model', flags, false);
  requireSources(config);
  if (name === 'run' && config.load.shard) {
    throw new UsageError(`run creates the tables, which a shard cannot do beside the others; this run is shard ${shardName(config.load.shard)} (from ${config.load.shard.origin})`, {
      hint: 'run `sparkify create-tables` once, then `sparkify etl` in each shard, then `sparkify model`',
    });
  }
  return loadAndReport(config, name, flags, name === 'run');
}

/**
 * Runs etl with graceful stop on SIGINT/SIGTERM, then the data-quality checks
 * (unless it was a dry run or failed), prints the summary, returns the exit code.
 */
async function loadAndReport(config: Config, command: string, flags: CommonFlags, create: boolean, after?: (wh: Warehouse) => Promise<void>): Promise<number> {
  const { log, progress } = await progressFor(flags);
  const stop = handleStopSignals(log);
  const started = Date.now();
  // What the run did, even if it throws (the --json object of a failure shows it).
  const done = newSummary();
  try {
    if (config.load.dryRun && config.target.kind === 'embedded' && !embeddedExists(config.target.dir)) {
      // A dry run creates nothing, not even the embedded Postgres: it plans against nothing loaded.
      log.info(`the embedded Postgres in ${config.target.dir} does not exist yet: \`sparkify run\` would create it`);
      const s = await runEtl(undefined, config, command, { log, progress, signal: stop.signal, summary: done });
      progress.stop();
      report(s, flags);
      return stop.exitCode() ?? exitCodeOf(s);
    }
    const summary = await withWarehouse(config, log, async (wh, lock) => {
      // A dry run creates nothing: etl plans against empty tables when there are none.
      if (create && !config.load.dryRun) await createTables(wh);
      const deps = { log, progress, signal: stop.signal, lock, summary: done };
      const s = config.load.modelOnly ? await runModel(wh, config, command, deps) : await runEtl(wh, config, command, deps);
      // A shard leaves the star schema behind staging: the checks belong after the model build.
      if (!config.load.dryRun && !config.load.shard && !flags.skipChecks && s.status !== 'failed' && !stop.signal.aborted) {
        progress.phase('checks');
        const t = Date.now();
        s.checks = await checksAfterRun(wh, s);
        s.timings.checksMs = Date.now() - t;
        s.durationMs += s.timings.checksMs;
        s.cpuMs = processCpuMs();
        const failed = s.checks.filter((x) => !x.ok);
        for (const c of failed) log.error(`check failed: ${c.name} — ${c.detail}`);
        for (const c of s.checks.filter((x) => x.ok && x.warning)) log.warn(`check: ${c.name} — ${c.detail}`);
        if (failed.length && !s.error) s.error = `${failed.length} data-quality check(s) failed: ${failed.map((c) => c.name).join('; ')}`;
      }
      progress.stop();
      await after?.(wh);
      return s;
      // A dry run takes no lock: it changes nothing.
    }, { lock: !config.load.dryRun, stop, shard: config.load.modelOnly ? undefined : config.load.shard });
    report(summary, flags);
    // A signal that came after the load finished still ends the process with its code.
    return stop.exitCode() ?? exitCodeOf(summary);
  } catch (err) {
    done.durationMs = Date.now() - started;
    rememberSummary(err, done);
    const code = stop.exitCode();
    if (code === undefined) throw err;
    if (flags.json) printJson(failureJson(err, 'interrupted'));
    log.error(`${describeError(err)}; objects in flight were rolled back, run again to finish`);
    return code;
  } finally {
    progress.stop();
    stop.dispose();
  }
}

function report(summary: EtlSummary, flags: CommonFlags): void {
  if (flags.json) printJson(summary);
  else process.stdout.write(`${humanSummary(summary)}\n`);
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('sparkify')
    .description('Loads Sparkify song metadata and event logs (JSON in S3 or a folder) into Postgres or Redshift: validated CSV → COPY → staging → star schema.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)');

  withCommon(program.command('create-tables'))
    .description('create the staging, star-schema and bookkeeping tables (idempotent)')
    .option('--reset', 'drop every table first (all loaded data is lost); asks on a terminal, needs --yes elsewhere')
    .option('-y, --yes', 'do not ask before --reset drops the tables')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw);
      const log = loggerFor(flags);
      const config = resolveConfig(flags, process.env);
      if (flags.reset && !flags.yes) await confirmReset(config);
      await withWarehouse(config, log, (wh) => createTables(wh, { reset: flags.reset }), { lock: true });
      if (flags.json) printJson({ status: 'ok', target: config.target.kind, schema: config.schema ?? null, reset: !!flags.reset });
      else log.info(`tables ready${flags.reset ? ' (reset)' : ''}`);
      setExit(0);
    });

  withLoad(program.command('etl'))
    .description('extract, validate and stage new or changed objects, then update the star schema')
    .option('--shard <I/N>', 'stage only shard I of N (0 ≤ I < N), chosen by a hash of each object key, and leave the star schema to `sparkify model`; shards of one load run at once (wins over --shards)')
    .option('--shards <n>', 'stage one shard of N, the index taken from JOB_COMPLETION_INDEX (Kubernetes Indexed Job), else AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job) (default: [ETL] SHARDS, which applies only when such an index is set)')
    .option('--model-only', 'only bring the star schema up to date with staging (as `sparkify model`): no listing, no staging')
    .action(async (raw: Record<string, unknown>) => setExit(await etlCommand('etl', raw)));

  withWriting(withS3(withCommon(program.command('model'))))
    .description('build the star schema once, after the shards of a sharded load (`etl --shard I/N`) have finished: full or incremental, as what changed decides; on Redshift it first loads every shard\'s staged parts with one COPY per table. Waits for running shards with --wait, else refuses, naming them')
    .action(async (raw: Record<string, unknown>) => setExit(await etlCommand('model', raw)));

  withCommon(program.command('status'))
    .description('what is loaded (by data set and day), the last runs, rejects by reason')
    .option('--runs <n>', 'how many recent runs to show', '10')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw) as CommonFlags & { runs: string };
      const log = loggerFor(flags);
      const config = resolveConfig(flags, process.env);
      const status = await withWarehouse(config, log, async (wh) => {
        await requireTables(wh);
        return { destination: describeDestination(wh, config), ...(await readStatus(wh, { runs: Number(flags.runs) || 10 })) };
      });
      if (flags.json) printJson(status);
      else process.stdout.write(`${renderStatus(status)}\n`);
      setExit(0);
    });

  withCommon(program.command('report'))
    .description("the analysts' questions (sql/report/*.sql) as tables, --json, or one self-contained --html FILE")
    .option('--html <file>', 'write the report as one self-contained HTML page')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw) as CommonFlags & { html?: string };
      const log = loggerFor(flags);
      const config = resolveConfig(flags, process.env);
      const { runReport, renderReportText, writeReportHtml } = await loadReport();
      const result = await withWarehouse(config, log, async (wh) => {
        await requireTables(wh);
        return runReport(wh);
      });
      if (flags.html) {
        await writeReportHtml(result, flags.html);
        log.info(`wrote ${flags.html}`);
      }
      if (flags.json) printJson(result);
      else if (!flags.html) process.stdout.write(`${renderReportText(result)}\n`);
      setExit(0);
    });

  withCommon(program.command('check'))
    .description('data-quality checks: rows, unique keys, references, staging vs songplays, rejects (exit 3 on a failure)')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw);
      const log = loggerFor(flags);
      const config = resolveConfig(flags, process.env);
      const results = await withWarehouse(config, log, async (wh) => {
        await requireTables(wh);
        return runChecks(wh);
      });
      const ok = checksPassed(results);
      if (flags.json) printJson({ status: ok ? 'ok' : 'failed', checks: results });
      else process.stdout.write(`${renderChecks(results)}\n`);
      setExit(ok ? 0 : 3);
    });

  withCommon(program.command('rejects'))
    .description('browse rejected records (etl_rejects) without SQL, newest first')
    .option('--object <key>', 'only rejects of this object key (or of keys containing it)')
    .option('--reason <text>', 'only rejects whose reason contains TEXT (case-insensitive)')
    .option('--raw', 'print each reject with its raw source text')
    .option('--limit <n>', 'at most N rejects (default 50)', '50')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw) as CommonFlags & { object?: string; reason?: string; raw?: boolean; limit: string };
      const limit = Number(flags.limit);
      if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(flags.limit)}`);
      const log = loggerFor(flags);
      const config = resolveConfig(flags, process.env);
      const list = await withWarehouse(config, log, async (wh) => {
        await requireTables(wh);
        return listRejects(wh, { object: flags.object, reason: flags.reason, limit });
      });
      if (flags.json) printJson(list);
      else process.stdout.write(`${renderRejects(list, { raw: flags.raw })}\n`);
      setExit(0);
    });

  withSources(program.command('doctor'))
    .description('check each configured part (warehouse, schema, tables, S3 credentials, each source, Redshift staging and IAM role): one PASS/FAIL line each, with the fix')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw);
      const log = loggerFor(flags);
      const config = resolveConfig(flags, process.env);
      const results = await runDoctor(config, log);
      const ok = results.every((r) => r.ok);
      if (flags.json) printJson({ status: ok ? 'ok' : 'failed', checks: results });
      else process.stdout.write(`${renderDoctor(results)}\n`);
      setExit(ok ? 0 : 1);
    });

  withLoad(program.command('run'))
    .description('create-tables, then etl')
    .action(async (raw: Record<string, unknown>) => setExit(await etlCommand('run', raw)));

  withCommon(program.command('demo'))
    .description('generate a sample (once) and load it into the embedded Postgres; no config, no network')
    .option('--sample <dir>', 'where the generated sample lives', '.sparkify/sample')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw) as CommonFlags & { sample: string };
      const log = loggerFor(flags);
      const sample = await demoSample(flags.sample, log);
      // The demo ignores dwh.cfg: it always runs on the embedded default unless --target says otherwise.
      const config = resolveConfig({ target: flags.target, schema: flags.schema, ignoreConfigFile: true, songs: sample.songs, logs: sample.logs }, {}, process.cwd());
      // The demo also writes the analysts' report next to the sample.
      const html = resolve(flags.sample, '..', 'report.html');
      setExit(
        await loadAndReport(config, 'demo', flags, true, async (wh) => {
          const { runReport, writeReportHtml } = await loadReport();
          await writeReportHtml(await runReport(wh), html);
          log.info(`report: ${html}`);
        }),
      );
    });

  program
    .command('generate')
    .description('write a deterministic Udacity-format sample: OUT_DIR/song_data and OUT_DIR/log_data')
    .argument('<out_dir>', 'folder to write into')
    .option('--songs <n>', 'song objects', '200')
    .option('--days <n>', 'day objects of events', '30')
    .option('--users <n>', 'users', '100')
    .option('--events <n>', 'total events (default: sample-like density)')
    .option('--seed <n>', 'random seed', '42')
    .option('--start-date <YYYY-MM-DD>', 'first day', '2018-11-01')
    .option('--gzip', 'write log objects as .json.gz')
    .option('--json', 'print the summary as JSON')
    .action(async (outDir: string, raw: Record<string, string | boolean | undefined>) => {
      const num = (name: string, min: number) => {
        const v = raw[name];
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < min) throw new CommanderError(2, 'sparkify.usage', `--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
        return n;
      };
      const summary = await generateSample({
        outDir,
        songs: num('songs', 1)!,
        days: num('days', 1)!,
        users: num('users', 1)!,
        events: num('events', 0),
        seed: num('seed', 0)!,
        startDate: raw.startDate as string,
        gzip: !!raw.gzip,
      });
      if (raw.json) printJson(summary);
      else process.stdout.write(`wrote ${summary.songObjects} song objects and ${summary.dayObjects} day objects (${summary.events} events) to ${outDir}\n`);
      setExit(0);
    });

  return program;
}

/**
 * `create-tables --reset` drops every table: on a terminal it asks first; elsewhere
 * (cron, CI, a pipe) nobody can answer, so it needs --yes.
 */
async function confirmReset(config: Config): Promise<void> {
  const what = `every sparkify table in ${config.schema ? `schema ${config.schema}` : 'the default schema'} of ${describeTarget(config.target)}`;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`create-tables --reset drops ${what}, and nobody is at a terminal to confirm it`, { hint: 'add --yes to go ahead' });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`This drops ${what}: all loaded data is lost. Type "yes" to go on: `);
    if (answer.trim().toLowerCase() !== 'yes') throw new UsageError('create-tables --reset cancelled: nothing was dropped');
  } finally {
    rl.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  guardOutputStreams();
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  program.exitOverride();
  program.commands.forEach((c) => c.exitOverride());
  program.configureOutput({ writeErr: (s) => process.stderr.write(redact(s)) });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      if (err.code === 'sparkify.usage') process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    const exit = err instanceof SparkifyError && err.code === 'USAGE' ? 2 : err instanceof SparkifyError && err.code === 'INTERRUPTED' ? 130 : 1;
    if (argv.includes('--json')) printJson(failureJson(err));
    if (argv.some((a, i) => (a === '--log-format' && argv[i + 1] === 'json') || a === '--log-format=json')) {
      process.stderr.write(`${redact(JSON.stringify({ time: new Date().toISOString(), level: 'error', runId: null, event: 'failed', message: userMessage(err) }))}\n`);
    } else {
      process.stderr.write(`error: ${redact(userMessage(err))}\n`);
    }
    if (argv.includes('--verbose') && err instanceof Error && err.stack) process.stderr.write(`${redact(err.stack)}\n`);
    return exit;
  }
}

/** True when this file is the program (run directly, through a symlink or an npm bin shim), not imported. */
function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false; // argv[1] is not a file: we were imported
  }
}

if (isMain()) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
