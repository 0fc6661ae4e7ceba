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
import { resolveConfig, type Config, type Flags } from './config.ts';
import { describeError, SparkifyError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { openWarehouse, type Warehouse } from './warehouse/connect.ts';
import { createTables, requireTables } from './warehouse/tables.ts';
import { withRunLock, type RunLock } from './warehouse/lock.ts';
import { explainFailure } from './warehouse/explain.ts';
import { readStatus, renderStatus } from './status.ts';
import { newSummary, requireSources, runEtl, type EtlSummary } from './etl.ts';
import { exitCodeOf, failureJson, humanSummary, printJson, rememberSummary } from './cli-output.ts';
import { plainProgress } from './progress.ts';
import { redact } from './redact.ts';
import { handleStopSignals, type StopSignals } from './signals.ts';
import { checksAfterRun, runChecks, renderChecks, checksPassed } from './check/index.ts';
import type { ProgressReporter } from './progress.ts';
import { generateSample } from './generate/index.ts';
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
}

/** Flags every warehouse command takes. */
function withCommon(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'dwh.cfg to read (default: ./dwh.cfg when present)')
    .option('--target <url>', 'postgres://user@host:port/db, redshift://user@host:5439/db or embedded (default: [CLUSTER] in dwh.cfg, else DATABASE_URL, else embedded)')
    .option('--schema <name>', 'schema for every table (default: the database default schema)')
    .option('--json', 'print one JSON summary on stdout; logs go to stderr')
    .option('-q, --quiet', 'only warnings and errors on stderr')
    .option('-v, --verbose', 'debug lines on stderr');
}

/** Flags of commands that load. */
function withLoad(cmd: Command): Command {
  return withCommon(cmd)
    .option('--songs <url>', 'song data: s3://bucket/prefix or a folder (default: [S3] SONG_DATA)')
    .option('--logs <url>', 'event logs: s3://bucket/prefix or a folder (default: [S3] LOG_DATA)')
    .option('--concurrency <n>', 'objects read at once (default 8)')
    .option('--max-errors <n>', 'rejects allowed before exiting 3 (default 0)')
    .option('--since <YYYY-MM-DD>', 'only log objects of this day or later (day read from the key)')
    .option('--until <YYYY-MM-DD>', 'only log objects of this day or earlier')
    .option('--full-refresh', 'reload every object (without --since/--until: forget all staged data first) and rebuild the star schema')
    .option('--prune', 'remove staged rows of objects no longer in the source')
    .option('--dry-run', 'list what would load and be pruned; change nothing')
    .option('--skip-checks', 'do not run the data-quality checks after the load (run `sparkify check` on your own schedule)')
    .option('--retries <n>', 'retries of a failed object, transaction or model step on a transient error (default 4)')
    .option('--timeout <seconds>', 'network silence before an S3 request or connection attempt is abandoned, and longest wait for a table another session has locked (default 60)')
    .option('--swap-wait <seconds>', "how long a full build waits for a gap in analysts' reads to swap its tables in, before reloading them in place (default 60)")
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3, [S3] ENDPOINT)')
    .option('--s3-region <region>', 'AWS region (default: AWS_REGION, [S3] REGION, us-west-2)')
    .option('--s3-path-style', 'path-style bucket addressing (most S3-compatible servers need it)')
    .option('--no-sign-request', 'read a public bucket without credentials')
    .option('--iam-role <arn>', 'Redshift: IAM role for COPY (default: [IAM_ROLE] ARN)')
    .option('--staging-prefix <s3url>', 'Redshift stage mode: where gzipped CSV parts go (default: [S3] STAGING_PREFIX)')
    .option('--json-paths <s3url>', 'Redshift direct mode: JSONPaths file (default: [S3] LOG_JSONPATH)')
    .addOption(new Option('--redshift-mode <mode>', 'Redshift: stage (validate locally, default) or direct (COPY … JSON)').choices(['stage', 'direct']));
}

/** The report and its charting library (ECharts costs ~100 MB and 0.4 s to load): only for commands that need it. */
const loadReport = () => import('./report/index.ts');

function loggerFor(flags: CommonFlags, write?: (line: string) => void): Logger {
  return createLogger({ quiet: flags.quiet, verbose: flags.verbose, write });
}

/** A live bar when stderr is a terminal and no --json; plain lines on stderr otherwise. */
async function progressFor(flags: CommonFlags): Promise<{ log: Logger; progress: ProgressReporter }> {
  const tty = process.stderr.isTTY && !flags.json && !flags.quiet ? (await import('./progress-tty.ts')).ttyProgress(process.stderr) : undefined;
  const log = loggerFor(flags, tty ? (line) => tty.write(line) : undefined);
  return { log, progress: tty ?? plainProgress(log) };
}

/** commander gives `signRequest: false` for --no-sign-request. */
function toFlags(raw: Record<string, unknown>): CommonFlags {
  const { signRequest, ...rest } = raw;
  return { ...(rest as CommonFlags), noSignRequest: signRequest === false ? true : undefined };
}

/**
 * Opens the warehouse for `work`. With `lock` (every command that writes), the
 * run lock is held around all of it: one writing command at a time per schema.
 */
async function withWarehouse<T>(config: Config, log: Logger, work: (wh: Warehouse, lock?: RunLock) => Promise<T>, options: { lock?: boolean; stop?: StopSignals } = {}): Promise<T> {
  const wh = await openWarehouse(config, log, { signal: options.stop?.signal });
  options.stop?.holdExit(() => wh.interrupting);
  try {
    return options.lock ? await withRunLock(wh, config.runner, (lock) => work(wh, lock)) : await work(wh);
  } catch (err) {
    // A lock wait that ran out names the table and who holds it; a full disk, the table.
    throw await explainFailure(wh, err, config.load.timeoutSeconds);
  } finally {
    await wh.close().catch((err: unknown) => log.warn(`closing the warehouse: ${describeError(err)}`));
  }
}

async function etlCommand(name: 'etl' | 'run', raw: Record<string, unknown>): Promise<number> {
  const flags = toFlags(raw);
  const config = resolveConfig(flags, process.env);
  requireSources(config);
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
    const summary = await withWarehouse(config, log, async (wh, lock) => {
      if (create) await createTables(wh);
      const s = await runEtl(wh, config, command, { log, progress, signal: stop.signal, lock, summary: done });
      if (!config.load.dryRun && !flags.skipChecks && s.status !== 'failed' && !stop.signal.aborted) {
        s.checks = await checksAfterRun(wh, s);
        const failed = s.checks.filter((x) => !x.ok);
        for (const c of failed) log.error(`check failed: ${c.name} — ${c.detail}`);
        if (failed.length && !s.error) s.error = `${failed.length} data-quality check(s) failed: ${failed.map((c) => c.name).join('; ')}`;
      }
      await after?.(wh);
      return s;
    }, { lock: true, stop });
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
    .option('--reset', 'drop every table first (all loaded data is lost)')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw);
      const log = loggerFor(flags);
      const config = resolveConfig(flags, process.env);
      await withWarehouse(config, log, (wh) => createTables(wh, { reset: flags.reset }), { lock: true });
      if (flags.json) printJson({ status: 'ok', target: config.target.kind, schema: config.schema ?? null, reset: !!flags.reset });
      else log.info(`tables ready${flags.reset ? ' (reset)' : ''}`);
      setExit(0);
    });

  withLoad(program.command('etl'))
    .description('extract, validate and stage new or changed objects, then update the star schema')
    .action(async (raw: Record<string, unknown>) => setExit(await etlCommand('etl', raw)));

  withCommon(program.command('status'))
    .description('what is loaded (by data set and day), the last runs, rejects by reason')
    .option('--runs <n>', 'how many recent runs to show', '10')
    .action(async (raw: Record<string, unknown>) => {
      const flags = toFlags(raw) as CommonFlags & { runs: string };
      const log = loggerFor(flags);
      const config = resolveConfig(flags, process.env);
      const status = await withWarehouse(config, log, async (wh) => {
        await requireTables(wh);
        return readStatus(wh, { runs: Number(flags.runs) || 10 });
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
      const config = resolveConfig({ target: flags.target ?? 'embedded', schema: flags.schema, ignoreConfigFile: true, songs: sample.songs, logs: sample.logs }, {}, process.cwd());
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

export async function main(argv: string[]): Promise<number> {
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
    process.stderr.write(`error: ${redact(describeError(err))}\n`);
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
