#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --initial-old-space-size=64 --expose-gc
/**
 * The `sparkify` command, a thin layer over the API (src/index.ts): it parses
 * arguments, calls the API, prints the result and exits with its code
 * (cli/exit-codes.ts): 0 ok, 1 failure, 2 usage error, 3 rejects over
 * --max-errors or a failed check, 130/143 interrupted.
 *
 * The shebang bounds memory: V8 otherwise grows its young generation to
 * 128 MB on a big machine, and glibc keeps a malloc arena per thread; with
 * both capped a load stays under 200 MB of RSS however much it reads. The
 * young generation also decides how long the Buffers of an S3 body (a new
 * one per socket read, their bytes outside V8's heap) live: a load of nine
 * 150 MB objects from S3 peaked at 197 MB with 4 MB semi-spaces, 174 MB with
 * 2 and 152 MB with 1, at 1.4 % and 5 % more CPU than with 4 (paired runs).
 * --expose-gc lets a load ask for collections by the bytes it reads
 * (common/gc-by-bytes.ts), which frees those Buffers at a pace set by the
 * bytes, not by the few JS objects the loader allocates.
 */
import { Command, CommanderError, Option } from 'commander';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline/promises';
import type { Flags, KeyFilterRule } from '../config/index.ts';
import { describeError, UsageError } from '../common/errors.ts';
import { createLogger, type Logger, type LogFormat } from '../common/log.ts';
import { redact } from '../common/redact.ts';
import { check, createTables, rejects, report, status } from '../api/commands.ts';
import { doctor } from '../api/doctor.ts';
import { runDemo } from '../api/demo.ts';
import { load, type LoadHooks } from '../api/etl.ts';
import { generate } from '../api/generate.ts';
import { apiCall } from '../api/session.ts';
import type { ProgressReporter } from '../run/progress.ts';
import { newSummary, type EtlSummary } from '../run/summary.ts';
import { renderChecks } from '../check/index.ts';
import { renderStatus } from './status.ts';
import { renderRejects } from './rejects.ts';
import { guardOutputStreams, userMessage } from './errors.ts';
import { EXIT, exitCodeOf, exitCodeOfError } from './exit-codes.ts';
import { failureJson, humanSummary, printJson, rememberSummary, renderDoctor } from './output.ts';
import { plainProgress } from './progress.ts';
import { handleStopSignals } from './signals.ts';

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
 * Runs a load (etl, run, model, demo) with a graceful stop on SIGINT/SIGTERM,
 * prints its summary and returns the exit code; a stopped run prints what it did.
 */
async function loadCommand(flags: CommonFlags, work: (options: { log: Logger; progress: ProgressReporter; signal: AbortSignal }, hooks: LoadHooks) => Promise<EtlSummary>): Promise<number> {
  const { log, progress } = await progressFor(flags);
  const stop = handleStopSignals(log);
  // What the run did, even if it throws (the --json object of a failure shows it).
  const done = newSummary();
  try {
    const summary = await apiCall(() => work({ log, progress, signal: stop.signal }, { summary: done, opened: (wh) => stop.holdExit(() => wh.interrupting) }));
    print(flags, summary, () => humanSummary(summary));
    // A signal that came after the load finished still ends the process with its code.
    return stop.exitCode() ?? exitCodeOf(summary);
  } catch (err) {
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

/** etl, run (`createTables`) or model (`modelOnly`). */
function etlCommand(raw: Record<string, unknown>, how: { createTables?: boolean; modelOnly?: boolean } = {}): Promise<number> {
  const flags = toFlags(raw);
  return loadCommand(flags, (options, hooks) => load({ ...flags, ...how, ...options }, hooks));
}

/** Prints a command's result: `json` with --json, else the text. */
function print(flags: CommonFlags, json: unknown, text: () => string): void {
  if (flags.json) printJson(json);
  else process.stdout.write(`${text()}\n`);
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
      const result = await createTables({ ...flags, log, confirmReset: flags.yes ? undefined : confirmReset });
      if (flags.json) printJson({ status: 'ok', ...result });
      else log.info(`tables ready${flags.reset ? ' (reset)' : ''}`);
      setExit(EXIT.ok);
    });

  withLoad(program.command('etl'))
    .description('extract, validate and stage new or changed objects, then update the star schema')
    .option('--shard <I/N>', 'stage only shard I of N (0 ≤ I < N), chosen by a hash of each object key, and leave the star schema to `sparkify model`; shards of one load run at once (wins over --shards)')
    .option('--shards <n>', 'stage one shard of N, the index taken from JOB_COMPLETION_INDEX (Kubernetes Indexed Job), else AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job) (default: [ETL] SHARDS, which applies only when such an index is set)')
    .option('--model-only', 'only bring the star schema up to date with staging (as `sparkify model`): no listing, no staging')
    .action(async (raw: Record<string, unknown>) => setExit(await etlCommand(raw)));

  withWriting(withS3(withCommon(program.command('model'))))
    .description('build the star schema once, after the shards of a sharded load (`etl --shard I/N`) have finished: full or incremental, as what changed decides; on Redshift it first loads every shard\'s staged parts with one COPY per table. Waits for running shards with --wait, else refuses, naming them')
    .action(async (raw: Record<string, unknown>) => setExit(await etlCommand(raw, { modelOnly: true })));

  withCommon(program.command('status'))
    .description('what is loaded (by data set and day), the last runs, rejects by reason')
    .option('--runs <n>', 'how many recent runs to show', '10')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw) as CommonFlags & { runs: string };
      const result = await status({ ...flags, log: loggerFor(flags), runs: Number(flags.runs) || 10 });
      print(flags, result, () => renderStatus(result));
      setExit(EXIT.ok);
    });

  withCommon(program.command('report'))
    .description("the analysts' questions (sql/report/*.sql) as tables, --json, or one self-contained --html FILE")
    .option('--html <file>', 'write the report as one self-contained HTML page')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw) as CommonFlags & { html?: string };
      const result = await report({ ...flags, log: loggerFor(flags) });
      if (flags.json || !flags.html) {
        const { renderReportText } = await import('../report/index.ts');
        print(flags, result, () => renderReportText(result));
      }
      setExit(EXIT.ok);
    });

  withCommon(program.command('check'))
    .description('data-quality checks: rows, unique keys, references, staging vs songplays, rejects (exit 3 on a failure)')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw);
      const { ok, checks } = await check({ ...flags, log: loggerFor(flags) });
      print(flags, { status: ok ? 'ok' : 'failed', checks }, () => renderChecks(checks));
      setExit(ok ? EXIT.ok : EXIT.rejects);
    });

  withCommon(program.command('rejects'))
    .description('browse rejected records (etl_rejects) without SQL, newest first')
    .option('--object <key>', 'only rejects of this object key (or of keys containing it)')
    .option('--reason <text>', 'only rejects whose reason contains TEXT (case-insensitive)')
    .option('--raw', 'print each reject with its raw source text')
    .option('--limit <n>', 'at most N rejects (default 50)', '50')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw) as CommonFlags & { object?: string; reason?: string; raw?: boolean; limit: string };
      const list = await rejects({ ...flags, log: loggerFor(flags) });
      print(flags, list, () => renderRejects(list, { raw: flags.raw }));
      setExit(EXIT.ok);
    });

  withSources(program.command('doctor'))
    .description('check each configured part (warehouse, schema, tables, S3 credentials, each source, Redshift staging and IAM role): one PASS/FAIL line each, with the fix')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw);
      const { ok, checks } = await doctor({ ...flags, log: loggerFor(flags) });
      print(flags, { status: ok ? 'ok' : 'failed', checks }, () => renderDoctor(checks));
      setExit(ok ? EXIT.ok : EXIT.failed);
    });

  withLoad(program.command('run'))
    .description('create-tables, then etl')
    .action(async (raw: Record<string, unknown>) => setExit(await etlCommand(raw, { createTables: true })));

  withCommon(program.command('demo'))
    .description('generate a sample (once) and load it into the embedded Postgres; no config, no network')
    .option('--sample <dir>', 'where the generated sample lives', '.sparkify/sample')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw) as CommonFlags & { sample: string };
      // The demo ignores dwh.cfg: it runs on the embedded default unless --target says otherwise, and writes the report next to the sample.
      setExit(await loadCommand(flags, (options, hooks) => runDemo({ target: flags.target, schema: flags.schema, sample: flags.sample, ...options }, hooks)));
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
      const summary = await generate({
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
      setExit(EXIT.ok);
    });

  return program;
}

/**
 * `create-tables --reset` drops every table: on a terminal it asks first; elsewhere
 * (cron, CI, a pipe) nobody can answer, so it needs --yes.
 */
async function confirmReset(what: string): Promise<void> {
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
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      if (err.code === 'sparkify.usage') process.stderr.write(`error: ${err.message}\n`);
      return EXIT.usage;
    }
    const exit = exitCodeOfError(err);
    if (argv.includes('--json')) printJson(failureJson(err));
    if (argv.some((a, i) => (a === '--log-format' && argv[i + 1] === 'json') || a === '--log-format=json')) {
      process.stderr.write(`${redact(JSON.stringify({ time: new Date().toISOString(), level: 'error', runId: null, event: 'failed', message: userMessage(err) }))}\n`);
    } else {
      process.stderr.write(`error: ${redact(userMessage(err))}\n`);
    }
    if (argv.includes('--verbose')) process.stderr.write(redact(stacks(err)));
    return exit;
  }
}

/** The stack of an error and of each error it wraps (`cause`): where a wrapped bug was thrown. */
function stacks(err: unknown): string {
  let text = '';
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (e.stack) text += `${depth ? 'cause: ' : ''}${e.stack}\n`;
  return text;
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
