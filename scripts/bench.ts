/**
 * `npm run bench`: the loader's performance against baselines measured in the
 * same run, on the same machine, into the same server. Prints one JSON object.
 *
 * It starts s3rver, generates its data once into a cache folder
 * (.bench-cache/), and runs the loader as a user would, as its own process,
 * against its own embedded Postgres or against the server given by
 * `--target postgres://…` (a stock local Postgres, say), where it creates
 * and drops databases named sparkify_bench*:
 *
 * 1. songs: one-song objects from S3 end to end, against the bare GetObject
 *    rate of the same objects at the same concurrency; and the same objects
 *    at S3's latency (bench/latency.ts), against themselves without it;
 * 2. the whole job: `sparkify run` of N events in day objects and a
 *    thousand song objects from local folders into an empty database (list,
 *    stage, model, checks), against a data engineer's plain script over the
 *    same rows: `psql \copy` of them as ready-made CSV, then the star schema
 *    as CREATE TABLE … AS SELECT DISTINCT ON … (bench/plain-star-schema.sql);
 * 3. staging: the whole job's staging rate, and that of a full refresh from
 *    S3 (s3rver, on the same two cores), against `psql \copy` of the same
 *    rows into stg_events as the loader's bulk COPY finds it (with its
 *    source_key index), and against a hand-rolled `jq … | @csv | psql \copy`;
 * 4. the daily run: one new day added incrementally, its model step against
 *    the whole job's; then analysts: while an incremental run takes that day
 *    delivered again (its rows replaced), and while `--full-refresh` reloads
 *    everything from S3 and rebuilds, a second connection reads songplays
 *    every 100 ms; the longest time a read waited for the table;
 * 5. worker threads: the events staged with --workers 0, 1 and 2, each
 *    into an empty database: rate and CPU-seconds per million events (bench/workers.ts).
 *
 * The whole job (each time followed by the new day of 4) and the plain script
 * (with its `psql \copy` timed on its own) then run again, in turns, for
 * --rounds N in all: the ratios of 2, 3 and the new day of 4 use the median of
 * each side, so that a few seconds in which the shared machine runs slower do
 * not decide them; every round's figures are in the output.
 *
 * Flags: --events N (default 2,000,000), --songs N (50,000), --whole-songs N
 * (1,000), --concurrency N (the loader's default; the bare GETs use 8), --cache DIR (.bench-cache), --target URL
 * (embedded), --no-songs (skip scenario 1), --no-latency (skip its latency
 * part), --no-workers (skip scenario 5), --rounds N (the whole job and the
 * plain script in turns: 3 up to 2M events, else 1). Needs `psql` and `jq` on the PATH
 * for the baselines.
 */
import { execFile as execFileCb, fork, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem, hostname } from 'node:os';
import { join, relative, resolve, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import pg from 'pg';
import { generateSample } from '../src/generate/index.ts';
import { freePort } from '../src/warehouse/embedded.ts';
import { EVENT_FIELDS, STAR_TABLES } from '../src/common/datasets.ts';
import { postgres } from '../src/dialect/postgres.ts';
import { TableNames } from '../src/dialect/sql.ts';
import { idleReadMs, startProbe, type ProbeResult } from './bench/analyst-probe.ts';
import { openBenchWarehouse, type BenchWarehouse } from './bench/warehouse.ts';
import { songsAtLatency, type LatencyResult } from './bench/latency.ts';
import { workersScenario } from './bench/workers.ts';

const execFile = promisify(execFileCb);
const here = dirname(fileURLToPath(import.meta.url));
const root = findRoot(here);
const CLI = join(root, 'dist', 'src', 'cli', 'main.js');
const PLAIN_SQL = join(root, 'scripts', 'bench', 'plain-star-schema.sql');
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const DAYS = 30;
const SEED = 2018;
/** Databases of the scenarios (on a --target server too: only these are created and dropped). */
const DB = { songs: 'sparkify_bench_songs', latency: 'sparkify_bench_latency', main: 'sparkify_bench', plain: 'sparkify_bench_plain', workers: 'sparkify_bench_workers' } as const;

interface Args {
  events: number;
  songs: number;
  wholeSongs: number;
  /** The loader's --concurrency (undefined: its own default, which adapts) and the bare GETs' concurrency (8). */
  concurrency: number | undefined;
  cache: string;
  target: string | undefined;
  /** Skip the songs scenario (quicker runs while profiling). */
  noSongs: boolean;
  /** Skip the songs at S3 latency. */
  noLatency: boolean;
  /** Skip the worker-threads scenario (three more loads of the events). */
  noWorkers: boolean;
  /** How many times the whole job and the plain script each run, in turns (medians decide the ratios). */
  rounds: number;
}

function parseArgs(argv: string[]): Args {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const get = (name: string, fallback: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} needs a positive integer`);
    return n;
  };
  const songs = get('songs', 50_000);
  return {
    events: get('events', 2_000_000),
    songs,
    wholeSongs: Math.min(get('whole-songs', 1_000), songs),
    concurrency: value('concurrency') === undefined ? undefined : get('concurrency', 8),
    cache: resolve(root, value('cache') ?? '.bench-cache'),
    target: value('target'),
    noSongs: argv.includes('--no-songs'),
    noLatency: argv.includes('--no-songs') || argv.includes('--no-latency'),
    noWorkers: argv.includes('--no-workers'),
    rounds: get('rounds', get('events', 2_000_000) <= 2_000_000 ? 3 : 1),
  };
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const tool of ['psql', 'jq']) {
    if (!(await execFile('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false))) throw new Error(`${tool} is needed for the baselines (Debian: apt-get install ${tool === 'psql' ? 'postgresql-client' : 'jq'})`);
  }
  mkdirSync(args.cache, { recursive: true });
  chmodSync(args.cache, 0o755);

  // --- data, generated once -----------------------------------------------------------------
  // 31 days: the first 30 are the history, the 31st is the "new day" of the incremental run.
  // psqlSafe: no value holds a line that is exactly `\.`, which psql's \copy reads as end of data.
  const dataDir = join(args.cache, `data-e${args.events}-s${args.songs}-seed${SEED}`);
  if (!existsSync(join(dataDir, '.complete'))) {
    log(`generating ${args.events} events over ${DAYS} days (+1) and ${args.songs} songs in ${dataDir}`);
    rmSync(dataDir, { recursive: true, force: true });
    await generateSample({ outDir: dataDir, songs: args.songs, days: DAYS + 1, users: Math.max(100, Math.round(args.events / 1000)), events: Math.round((args.events * (DAYS + 1)) / DAYS), seed: SEED, psqlSafe: true });
    writeFileSync(join(dataDir, '.complete'), '');
  }
  const keyOf = (f: string) => relative(dataDir, f).split(sep).join('/');
  const dayFiles = listFiles(join(dataDir, 'log_data'));
  // (history/ and whole/ hold hard links to these files for the local-folder scenarios)
  const newDay = dayFiles.at(-1)!;
  const history = dayFiles.slice(0, -1);
  const songFiles = listFiles(join(dataDir, 'song_data'));
  const wholeSongs = songFiles.slice(0, args.wholeSongs);

  // --- services ---------------------------------------------------------------------------------
  const s3dir = join(args.cache, 's3');
  mkdirSync(s3dir, { recursive: true });
  const s3server = await startS3rver(s3dir);
  const endpoint = `http://127.0.0.1:${s3server.port}`;
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const bucket = `bench-e${args.events}-s${args.songs}`.toLowerCase();
  const wh = await openBenchWarehouse(args.target);
  log(`warehouse: ${wh.description}`);

  try {
    await uploadOnce(s3, bucket, [
      ...[...history, ...songFiles].map((f) => ({ file: f, key: keyOf(f) })),
      // The whole job's songs: the first of the catalogue, under a prefix of their own.
      ...wholeSongs.map((f) => ({ file: f, key: `whole/${keyOf(f)}` })),
    ], 32);
    const settings = await wh.settings();
    const loaderEnv = { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' };
    // Default settings unless --concurrency was given: the loader adapts its reads in flight itself.
    const concurrency = args.concurrency === undefined ? [] : ['--concurrency', String(args.concurrency)];
    const bareConcurrency = args.concurrency ?? 8;
    const s3flags = ['--s3-endpoint', endpoint, '--s3-path-style', ...concurrency, '--json'];
    const s3Sources = ['--songs', `s3://${bucket}/whole/song_data`, '--logs', `s3://${bucket}/log_data`];
    // The whole job reads local folders, as the issue measured it (and as the psql baseline reads its CSV):
    // the history's day objects and the whole job's songs, hard-linked once into folders of their own.
    const local = localSources(dataDir, history, wholeSongs);
    const localSources_ = ['--songs', local.songs, '--logs', local.logs];
    const localFlags = [...concurrency, '--json'];
    const main = wh.url(DB.main);

    // 1. songs, into a database of their own.
    let songs: LoaderRun | undefined;
    let bare: { objects: number; ms: number } | undefined;
    if (!args.noSongs) {
      await wh.recreate(DB.songs);
      log(`songs from S3: ${songFiles.length} objects`);
      songs = await loader(['run', '--target', wh.url(DB.songs), '--songs', `s3://${bucket}/song_data`, ...s3flags], loaderEnv);
      await wh.drop(DB.songs);
      log(`bare GetObject of the same ${songFiles.length} objects at concurrency ${bareConcurrency}`);
      bare = await bareGets(s3, bucket, songFiles.map(keyOf), bareConcurrency);
    }
    const latency: LatencyResult | undefined = args.noLatency ? undefined
      : await songsAtLatency({ upstream: endpoint, songs: `s3://${bucket}/song_data`, wh, db: DB.latency, log, loader: (a) => loader([...a, '--json'], loaderEnv) });

    // 2. the whole job, into an empty database.
    const wholeJob = async (): Promise<LoaderRun> => {
      await wh.recreate(DB.main);
      await checkpoint(main);
      return loader(['run', '--target', main, ...localSources_, ...localFlags], {});
    };
    log(`whole job: sparkify run of ${history.length} day objects and ${wholeSongs.length} song objects from local folders`);
    const whole = await wholeJob();

    const loaderStar = await starFigures(main);

    // 4a. one new day, incrementally: its model step against the full build's, both with nothing else running.
    const newDayLink = join(local.logs, relative(join(dataDir, 'log_data'), newDay));
    const addNewDay = async (): Promise<LoaderRun> => {
      mkdirSync(dirname(newDayLink), { recursive: true });
      rmSync(newDayLink, { force: true });
      linkSync(newDay, newDayLink);
      return loader(['etl', '--target', main, ...localSources_, ...localFlags], {});
    };
    log('incremental run: one new day');
    const incremental = await addNewDay();
    // The same day delivered again (a new version of its object: its rows replaced), with an analyst
    // reading: at 10M events a count of songplays is a scan that keeps a core busy.
    const later = new Date(Date.now() + 2000);
    utimesSync(newDayLink, later, later);
    const idleMs = await idleReadMs(main);
    log('incremental run: the new day delivered again (an analyst reads songplays every 100 ms)');
    let probe = await startProbe(main);
    const redelivered = await loader(['etl', '--target', main, ...localSources_, ...localFlags], {});
    const incrementalProbe = await probe.stop();
    rmSync(newDayLink);

    // The whole job's staging rows (all but the new day's), as CSV, for the baselines. Exported
    // after the daily run: writing them (3 GB at 10M events) pushes staging's indexes out of the
    // page cache, which a daily run does not find after a load.
    const csv = { events: join(args.cache, 'stg_events.csv'), songs: join(args.cache, 'stg_songs.csv') };
    const newDayKeys = `SELECT source_key FROM etl_objects WHERE run_id = (SELECT max(run_id) FROM etl_runs)`;
    await psql(main, ['-c', `\\copy (SELECT * FROM stg_events WHERE source_key NOT IN (${newDayKeys})) TO '${csv.events}' WITH (FORMAT csv)`]);
    await psql(main, ['-c', `\\copy stg_songs TO '${csv.songs}' WITH (FORMAT csv)`]);

    // 4b. everything again from S3 with --full-refresh, with an analyst reading.
    await checkpoint(main);
    log('full refresh from S3 (an analyst reads songplays every 100 ms)');
    probe = await startProbe(main);
    const refresh = await loader(['etl', '--full-refresh', '--target', main, ...s3Sources, ...s3flags], loaderEnv);
    const fullProbe = await probe.stop();

    // 3. baselines into stg_events: the same rows, the table with its source_key index (as the loader's bulk COPY finds it).
    const client = new pg.Client({ connectionString: main });
    await client.connect();
    for (const sql of postgres.dropModelIndexes(new TableNames(undefined))) await client.query(sql);
    await client.query('TRUNCATE stg_events');
    await client.query('CHECKPOINT');
    log(`psql \\copy of the same ${whole.tables.stg_events} rows`);
    let t = Date.now();
    await psql(main, ['-c', `\\copy stg_events FROM '${csv.events}' WITH (FORMAT csv)`]);
    const psqlMs = Date.now() - t;
    const psqlRows = await count(client, 'stg_events');
    await client.query('TRUNCATE stg_events');
    await client.query('CHECKPOINT');
    log('jq | @csv | psql \\copy over the same JSON files');
    const jq = await jqPipeline(dataDir, history, main);
    const jqRows = await count(client, 'stg_events');
    await client.end();
    await wh.drop(DB.main);

    // 2'. the plain script: the same staging rows by psql \copy, then plain SQL.
    log('plain script: psql \\copy of the staging rows, then the star schema in plain SQL');
    const plain = await plainScript(wh, csv);
    const plainStar = plain.star;

    // 2 and 2' again, in turns: each side's median decides the ratios.
    const wholeRounds = [whole];
    const dayRounds = [incremental];
    const plainRounds = [plain];
    const psqlRounds = [psqlRows / (psqlMs / 1000)];
    for (let round = 2; round <= args.rounds; round++) {
      log(`round ${round} of ${args.rounds}: the whole job and the new day, then the plain script`);
      wholeRounds.push(await wholeJob());
      dayRounds.push(await addNewDay());
      rmSync(newDayLink);
      await wh.drop(DB.main);
      const again = await plainScript(wh, csv);
      plainRounds.push(again);
      psqlRounds.push(again.eventsRows / (again.eventsCopyMs / 1000));
    }

    // 5. the events with 0, 1 and 2 worker threads.
    const workers = args.noWorkers ? undefined : await workersScenario(async (n) => {
      await wh.recreate(DB.workers);
      const r = await loader(['run', '--target', wh.url(DB.workers), '--logs', `s3://${bucket}/log_data`, '--workers', String(n), '--skip-checks', ...s3flags], loaderEnv);
      await wh.drop(DB.workers);
      return r;
    }, log);

    const eventsRows = Number(whole.tables.stg_events);
    // The medians of the rounds (with one round, its figures).
    const loaderWallMs = median(wholeRounds.map((r) => r.wallMs));
    const loaderModelMs = median(wholeRounds.map((r) => r.timings.modelMs));
    const loaderChecksMs = median(wholeRounds.map((r) => r.checksMs));
    const dayModelMs = median(dayRounds.map((r) => r.timings.modelMs));
    const eventsRate = median(wholeRounds.map((r) => Number(r.tables.stg_events) / (r.timings.stageMs / 1000)));
    const psqlRate = median(psqlRounds);
    const plainWholeMs = median(plainRounds.map((p) => p.copyMs + p.modelMs));
    const plainModelMs = median(plainRounds.map((p) => p.modelMs));
    const s3Rate = Number(refresh.tables.stg_events) / (refresh.timings.stageMs / 1000);
    const jqRate = jqRows / (jq.ms / 1000);
    const songsRate = songs ? songs.objects.loaded / (songs.timings.stageMs / 1000) : NaN;
    const sourceBytes = history.reduce((n, f) => n + statSync(f).size, 0);
    const sameStar = JSON.stringify(loaderStar) === JSON.stringify(plainStar);
    const result = {
      machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      warehouse: { target: wh.description, ...settings },
      params: { events: args.events, stagedRows: eventsRows, dayObjects: history.length, songObjects: songFiles.length, wholeJobSongObjects: wholeSongs.length, concurrency: args.concurrency ?? 'default' },
      scenarios: {
        wholeJob: { wallMs: whole.wallMs, listMs: whole.timings.listMs, stageMs: whole.timings.stageMs, modelMs: whole.timings.modelMs, checksMs: whole.checksMs, peakRssMb: whole.peakRssMb, loaderCpuSecPerMillionEvents: whole.cpuMs === undefined ? null : round2(whole.cpuMs / 1000 / (Number(whole.tables.stg_events) / 1e6)), modelSteps: steps(whole), tables: loaderStar },
        plainScript: { wallMs: plain.copyMs + plain.modelMs, copyMs: plain.copyMs, modelMs: plain.modelMs, tables: plainStar, sameTablesAsLoader: sameStar },
        // Every round of the whole job and the plain script (the first is the one above), and the medians the ratios use.
        rounds: {
          loader: wholeRounds.map((r) => ({ wallMs: r.wallMs, stageMs: r.timings.stageMs, modelMs: r.timings.modelMs, checksMs: r.checksMs, peakRssMb: r.peakRssMb, rowsPerSec: Math.round(Number(r.tables.stg_events) / (r.timings.stageMs / 1000)) })),
          newDayModelMs: dayRounds.map((r) => r.timings.modelMs),
          plainScript: plainRounds.map((p) => ({ wallMs: p.copyMs + p.modelMs, copyMs: p.copyMs, modelMs: p.modelMs })),
          psqlCopyRowsPerSec: psqlRounds.map(Math.round),
          medians: { loaderWallMs, loaderModelMs, loaderChecksMs, newDayModelMs: dayModelMs, loaderRowsPerSec: Math.round(eventsRate), plainWallMs: plainWholeMs, plainModelMs, psqlCopyRowsPerSec: Math.round(psqlRate) },
        },
        eventsStaging: { from: 'local folder', rows: eventsRows, sourceMb: mb(sourceBytes), stageMs: whole.timings.stageMs, rowsPerSec: Math.round(eventsRate), mbPerSec: round1(mb(sourceBytes) / (whole.timings.stageMs / 1000)) },
        eventsStagingFromS3: { from: 's3rver on the same machine', rows: Number(refresh.tables.stg_events), stageMs: refresh.timings.stageMs, rowsPerSec: Math.round(s3Rate) },
        psqlCopy: { rows: psqlRows, csvMb: mb(statSync(csv.events).size), wallMs: psqlMs, rowsPerSec: Math.round(psqlRate) },
        jqPipeline: { rows: jqRows, wallMs: jq.ms, rowsPerSec: Math.round(jqRate) },
        songsFromS3: songs && { objects: songs.objects.loaded, wallMs: songs.wallMs, stageMs: songs.timings.stageMs, objectsPerSec: Math.round(songsRate), peakRssMb: songs.peakRssMb },
        bareGetObject: bare && { objects: bare.objects, concurrency: bareConcurrency, wallMs: bare.ms, objectsPerSec: Math.round(bare.objects / (bare.ms / 1000)) },
        songsAtLatency: latency,
        incrementalDay: { rows: incremental.records.staged, wallMs: incremental.wallMs, stageMs: incremental.timings.stageMs, modelMs: incremental.timings.modelMs, checksMs: incremental.checksMs, peakRssMb: incremental.peakRssMb },
        redeliveredDay: { rows: redelivered.records.staged, wallMs: redelivered.wallMs, stageMs: redelivered.timings.stageMs, modelMs: redelivered.timings.modelMs, checksMs: redelivered.checksMs, peakRssMb: redelivered.peakRssMb, analyst: incrementalProbe },
        fullRefresh: { wallMs: refresh.wallMs, stageMs: refresh.timings.stageMs, modelMs: refresh.timings.modelMs, checksMs: refresh.checksMs, peakRssMb: refresh.peakRssMb, modelSteps: steps(refresh), analyst: fullProbe, swapLog: refresh.swapLog },
        analystIdleReadMs: idleMs,
        eventsWithWorkers: workers?.runs,
      },
      ratios: {
        wholeJobVsPlainSql: round2(plainWholeMs / loaderWallMs),
        modelVsPlainSql: round2(loaderModelMs / plainModelMs),
        eventsVsPsqlCopy: round2(eventsRate / psqlRate),
        eventsFromS3VsPsqlCopy: round2(s3Rate / psqlRate),
        eventsVsJq: round2(eventsRate / jqRate),
        songsVsBareGet: bare ? round2(songsRate / (bare.objects / (bare.ms / 1000))) : null,
        songsAtLatencyVsLocal: latency?.songsAtLatencyVsLocal ?? null,
        incrementalDayVsFullModel: round2(dayModelMs / loaderModelMs),
        checksShareOfRun: round2(loaderChecksMs / loaderWallMs),
        eventsWorkersVsNone: workers?.rateVsNoWorkers,
      },
      cpuSecPerMillionEvents: workers && Object.fromEntries(workers.runs.map((r) => [`workers${r.workers}`, r.cpuSecPerMillionEvents])),
      analystMaxWaitMs: { full: fullProbe.maxWaitMs, incremental: incrementalProbe.maxWaitMs },
      peakRssMb: Math.max(songs?.peakRssMb ?? 0, latency?.atLatency.peakRssMb ?? 0, latency?.local.peakRssMb ?? 0, ...wholeRounds.map((r) => r.peakRssMb), ...dayRounds.map((r) => r.peakRssMb), redelivered.peakRssMb, refresh.peakRssMb),
    };
    if (psqlRows !== eventsRows || jqRows !== eventsRows) log(`warning: row counts differ (loader ${eventsRows}, psql ${psqlRows}, jq ${jqRows})`);
    if (!sameStar) log(`warning: the plain script's tables differ from the loader's: ${JSON.stringify(plainStar)} vs ${JSON.stringify(loaderStar)}`);
    for (const p of [incrementalProbe, fullProbe]) if (p.errors) log(`warning: ${p.errors} analyst reads failed: ${p.firstError}`);
    rmSync(csv.events, { force: true });
    rmSync(csv.songs, { force: true });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    s3.destroy();
    await s3server.close();
    await wh.close();
  }
}

interface LoaderRun {
  status: string;
  objects: { loaded: number };
  records: { staged: number };
  tables: Record<string, number>;
  timings: { listMs: number; stageMs: number; modelMs: number; checksMs?: number };
  peakRssMb: number;
  /** The loader process's user + system CPU (ms), every thread. */
  cpuMs?: number;
  model?: { steps?: { name: string; ms: number }[] };
  wallMs: number;
  /** Time of the checks after the load (0 when skipped). */
  checksMs: number;
  /** What the loader said of its swap when the star tables were in use (who held them, autovacuum it cancelled). */
  swapLog: string[];
}

/** Runs the built CLI as its own process and returns its --json summary plus the wall time. */
async function loader(args: string[], env: Record<string, string>): Promise<LoaderRun> {
  const start = Date.now();
  // As users run it: the executable itself, so its shebang's memory settings apply;
  // where no dwh.cfg is: the bench says everything on the command line.
  const { stdout, code, stderr } = await run(CLI, args, { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '', ...env }, tmpdir());
  const wallMs = Date.now() - start;
  if (code !== 0) throw new Error(`loader exited ${code}: ${stderr.split('\n').filter(Boolean).slice(-3).join(' | ')}`);
  const swapLog = stderr.split('\n').filter((l) => /model: (the star tables are in use|cancelled autovacuum|swapped in after|reads held the tables)/.test(l));
  if (!args.includes('--json')) return { status: 'ok', objects: { loaded: 0 }, records: { staged: 0 }, tables: {}, timings: { listMs: 0, stageMs: 0, modelMs: 0 }, peakRssMb: 0, wallMs, checksMs: 0, swapLog };
  const out = JSON.parse(stdout) as Omit<LoaderRun, 'wallMs' | 'checksMs' | 'swapLog'>;
  return { ...out, wallMs, checksMs: out.timings.checksMs ?? 0, swapLog };
}

/** The plain script into a fresh database: `psql \\copy` of the CSV (the events' copy also timed on its own), then the plain SQL. */
async function plainScript(wh: BenchWarehouse, csv: { events: string; songs: string }): Promise<{ copyMs: number; eventsCopyMs: number; eventsRows: number; modelMs: number; star: Record<string, string> }> {
  await wh.recreate(DB.plain);
  const url = wh.url(DB.plain);
  await loader(['create-tables', '--target', url], {});
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Staging tables as the loader's bulk COPY finds them (with the source_key index); its script creates the star tables itself.
    for (const sql of postgres.dropModelIndexes(new TableNames(undefined))) await client.query(sql);
    for (const table of STAR_TABLES) await client.query(`DROP TABLE ${table}`);
    await client.query('CHECKPOINT');
    let t = Date.now();
    await psql(url, ['-c', `\\copy stg_songs FROM '${csv.songs}' WITH (FORMAT csv)`]);
    const e = Date.now();
    await psql(url, ['-c', `\\copy stg_events FROM '${csv.events}' WITH (FORMAT csv)`]);
    const eventsCopyMs = Date.now() - e;
    const copyMs = Date.now() - t;
    t = Date.now();
    await psql(url, ['-f', PLAIN_SQL]);
    const modelMs = Date.now() - t;
    return { copyMs, eventsCopyMs, eventsRows: await count(client, 'stg_events'), modelMs, star: await starFigures(url, client) };
  } finally {
    await client.end();
    await wh.drop(DB.plain);
  }
}

/** The median of `xs` (the mean of the middle two when even). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The model step's steps and their wall times (ms), as the loader reported them. */
function steps(r: LoaderRun): Record<string, number> | undefined {
  return r.model?.steps && Object.fromEntries(r.model.steps.map((s) => [s.name, s.ms]));
}

/** Row counts and a few sums of the star tables: what the plain script must match. */
async function starFigures(url: string, existing?: pg.Client): Promise<Record<string, string>> {
  const client = existing ?? new pg.Client({ connectionString: url });
  if (!existing) await client.connect();
  try {
    const { rows } = await client.query(`SELECT
      (SELECT count(*) FROM songplays) AS songplays, (SELECT count(song_id) FROM songplays) AS songplays_with_song, (SELECT sum(user_id) FROM songplays) AS songplays_user_sum,
      (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM users WHERE level = 'paid') AS users_paid,
      (SELECT count(*) FROM songs) AS songs, (SELECT count(year) FROM songs) AS songs_with_year,
      (SELECT count(*) FROM artists) AS artists, (SELECT count(location) FROM artists) AS artists_with_location,
      (SELECT count(*) FROM time) AS time, (SELECT sum(hour) + sum(week) + sum(weekday) FROM time) AS time_sum`);
    return rows[0];
  } finally {
    if (!existing) await client.end();
  }
}

async function count(client: pg.Client, table: string): Promise<number> {
  return Number((await client.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n);
}

async function checkpoint(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('CHECKPOINT').catch(() => undefined); // needs superuser (or pg_checkpoint) on a --target server
  await client.end();
}

async function psql(url: string, args: string[]): Promise<void> {
  await execFile('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...args, url], { maxBuffer: 1 << 20 });
}

/** GetObject of every key at `concurrency`, bodies read and dropped: the floor of reading these objects. */
async function bareGets(s3: S3Client, bucket: string, keys: string[], concurrency: number): Promise<{ objects: number; ms: number }> {
  const limit = pLimit(concurrency);
  const start = Date.now();
  await Promise.all(
    keys.map((key) =>
      limit(async () => {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        for await (const _ of out.Body as AsyncIterable<Buffer>) {
          // read and drop
        }
      }),
    ),
  );
  return { objects: keys.length, ms: Date.now() - start };
}

/** What a user might script: jq turns each day's lines into CSV rows, psql \copy loads them. */
async function jqPipeline(dataDir: string, files: string[], url: string): Promise<{ ms: number }> {
  const fields = EVENT_FIELDS.map((f) => `.${f.json}`).join(', ');
  const script = files
    .map((f) => `jq -r --arg k '${relative(dataDir, f).split(sep).join('/')}' '[${fields}, $k, input_line_number] | @csv' '${f}'`)
    .join('\n');
  const start = Date.now();
  const { code, stderr } = await run('bash', ['-o', 'pipefail', '-c', `{\n${script}\n} | psql -X -q -v ON_ERROR_STOP=1 -c "\\copy stg_events FROM STDIN WITH (FORMAT csv)" "$BENCH_URL"`], { ...(process.env as Record<string, string>), BENCH_URL: url });
  if (code !== 0) throw new Error(`jq pipeline failed: ${stderr.split('\n').slice(0, 3).join(' | ')}`);
  return { ms: Date.now() - start };
}

/**
 * Folders of hard links (made once, no copy of the data): the history's day
 * objects under `history/log_data`, the whole job's songs under `whole/song_data`,
 * so that their keys are those of the bucket (`log_data/…`, `song_data/…`).
 */
function localSources(dataDir: string, history: string[], songs: string[]): { logs: string; songs: string } {
  const logs = join(dataDir, 'history', 'log_data');
  const songDir = join(dataDir, 'whole', 'song_data');
  for (const [files, from, to] of [[history, join(dataDir, 'log_data'), logs], [songs, join(dataDir, 'song_data'), songDir]] as const) {
    for (const f of files) {
      const link = join(to, relative(from, f));
      if (existsSync(link)) continue;
      mkdirSync(dirname(link), { recursive: true });
      linkSync(f, link);
    }
  }
  return { logs, songs: songDir };
}

/** Uploads the data once; the bucket lives in the cache between runs, with a marker once complete. */
async function uploadOnce(s3: S3Client, bucket: string, files: { file: string; key: string }[], concurrency: number): Promise<void> {
  const marker = '.bench-complete-2';
  const done = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: marker })).then(() => true, () => false);
  if (done) return;
  log(`uploading ${files.length} objects to s3://${bucket} (once)`);
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
  const limit = pLimit(concurrency);
  await Promise.all(files.map(({ file, key }) => limit(async () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file) })))));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: marker, Body: '' }));
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile()) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

async function startS3rver(directory: string): Promise<{ port: number; close(): Promise<void> }> {
  const port = await freePort();
  // s3rver: DES continuation tokens need the legacy OpenSSL provider.
  const child: ChildProcess = fork(join(root, 'test', 'support', 's3rver-process.mjs'), [directory, String(port)], { execArgv: ['--openssl-legacy-provider'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise<void>((res, rej) => {
    child.once('message', () => res());
    child.once('exit', (code) => rej(new Error(`s3rver exited with ${code}`)));
  });
  return {
    port,
    close: () => new Promise<void>((res) => {
      child.once('exit', () => res());
      child.send('close');
    }),
  };
}

function findRoot(dir: string): string {
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
