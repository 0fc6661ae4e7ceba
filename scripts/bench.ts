/**
 * `npm run bench`: the loader's performance against baselines measured in the
 * same run, on the same machine, into the same tables. Prints one JSON object.
 *
 * It starts its own embedded Postgres and s3rver, generates its data once into
 * a cache folder (.bench-cache/), and runs, as a separate process each time,
 * what a user would run:
 *
 * 1. events from S3: N events in day objects, end to end into stg_events;
 * 2. baselines: `psql \copy` of exactly those rows as a ready-made CSV into the
 *    same table, and a hand-rolled `jq … | @csv | psql \copy` over the same JSON;
 * 3. songs from S3: one-song objects end to end, against the bare GetObject rate
 *    of the same objects at the same concurrency;
 * 4. model step: the full build over the staged history, and an incremental run
 *    that adds one new day to it.
 *
 * Flags: --events N (default 2,000,000), --songs N (50,000), --concurrency N (8),
 * --cache DIR (.bench-cache). Needs `psql` and `jq` on the PATH for the baselines.
 */
import { execFile as execFileCb, fork, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem, hostname } from 'node:os';
import { join, relative, resolve, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import pg from 'pg';
import { generateSample } from '../src/generate/index.ts';
import { openEmbedded, freePort } from '../src/warehouse/embedded.ts';
import { silentLogger } from '../src/log.ts';
import { EVENT_FIELDS } from '../src/datasets.ts';
import { postgres } from '../src/dialect/postgres.ts';
import { TableNames } from '../src/dialect/sql.ts';

const execFile = promisify(execFileCb);
const here = dirname(fileURLToPath(import.meta.url));
const root = findRoot(here);
const CLI = join(root, 'dist', 'src', 'cli.js');
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const DAYS = 30;
const SEED = 2018;

interface Args {
  events: number;
  songs: number;
  concurrency: number;
  cache: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    if (i === -1) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} needs a positive integer`);
    return n;
  };
  const c = argv.indexOf('--cache');
  return { events: get('events', 2_000_000), songs: get('songs', 50_000), concurrency: get('concurrency', 8), cache: resolve(root, c === -1 ? '.bench-cache' : argv[c + 1]) };
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
  const dayFiles = listFiles(join(dataDir, 'log_data'));
  const newDay = dayFiles.at(-1)!;
  const history = dayFiles.slice(0, -1);
  const songFiles = listFiles(join(dataDir, 'song_data'));

  // --- services ---------------------------------------------------------------------------------
  const s3dir = join(args.cache, 's3');
  mkdirSync(s3dir, { recursive: true });
  const s3server = await startS3rver(s3dir);
  const endpoint = `http://127.0.0.1:${s3server.port}`;
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const bucket = `bench-e${args.events}-s${args.songs}`.toLowerCase();
  const pgDir = mkdtempSync(join(tmpdir(), 'sparkify-bench-pg-'));
  chmodSync(pgDir, 0o755);
  const server = await openEmbedded(pgDir, silentLogger);
  const c = server.connection;
  const adminUrl = `postgres://${c.user}:${encodeURIComponent(c.password!)}@${c.host}:${c.port}/postgres`;
  const url = `postgres://${c.user}:${encodeURIComponent(c.password!)}@${c.host}:${c.port}/bench`;
  const psqlEnv = { ...process.env, PGHOST: c.host, PGPORT: String(c.port), PGUSER: c.user, PGPASSWORD: c.password!, PGDATABASE: 'bench' };

  try {
    await uploadOnce(s3, bucket, dataDir, [...history, ...songFiles], args.concurrency * 4);
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS bench');
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    const loaderEnv = { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' };
    const s3flags = ['--s3-endpoint', endpoint, '--s3-path-style', '--concurrency', String(args.concurrency), '--json'];

    // 3. songs, first: the events' full model build then matches them.
    log(`songs from S3: ${songFiles.length} objects`);
    const songs = await loader(['run', '--target', url, '--songs', `s3://${bucket}/song_data`, ...s3flags], loaderEnv);
    log(`bare GetObject of the same ${songFiles.length} objects at concurrency ${args.concurrency}`);
    const bare = await bareGets(s3, bucket, songFiles.map((f) => relative(dataDir, f).split(sep).join('/')), args.concurrency);

    // 1. events, end to end (their run also does the full model build: 4.)
    log(`events from S3: ${history.length} day objects`);
    const events = await loader(['etl', '--target', url, '--logs', `s3://${bucket}/log_data`, ...s3flags], loaderEnv);
    const sourceBytes = history.reduce((n, f) => n + statSync(f).size, 0);

    // 4. one new day over that history.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: relative(dataDir, newDay).split(sep).join('/'), Body: await readFile(newDay) }));
    log('incremental run: one new day');
    const incremental = await loader(['etl', '--target', url, '--logs', `s3://${bucket}/log_data`, ...s3flags], loaderEnv);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: relative(dataDir, newDay).split(sep).join('/') }));

    // 2. baselines into the same table, holding exactly the history's rows.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DELETE FROM stg_events WHERE source_key = $1`, [relative(dataDir, newDay).split(sep).join('/')]);
    const csv = join(args.cache, 'stg_events.csv');
    await execFile('psql', ['-X', '-q', '-c', `\\copy stg_events TO '${csv}' WITH (FORMAT csv)`], { env: psqlEnv });
    const rows = Number((await client.query('SELECT COUNT(*) AS n FROM stg_events')).rows[0].n);
    // The same table as the loader's bulk COPY found it: its source_key index
    // kept, the model's lookup indexes dropped (the model step rebuilds them,
    // and that time is in the model figures).
    for (const sql of postgres.dropModelIndexes(new TableNames(undefined))) await client.query(sql);
    await client.query('TRUNCATE stg_events');
    await client.query('CHECKPOINT');
    log(`psql \\copy of the same ${rows} rows`);
    const psqlStart = Date.now();
    await execFile('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy stg_events FROM '${csv}' WITH (FORMAT csv)`], { env: psqlEnv, maxBuffer: 1 << 20 });
    const psqlMs = Date.now() - psqlStart;
    const psqlRows = Number((await client.query('SELECT COUNT(*) AS n FROM stg_events')).rows[0].n);
    await client.query('TRUNCATE stg_events');
    await client.query('CHECKPOINT');
    log('jq | @csv | psql \\copy over the same JSON files');
    const jq = await jqPipeline(dataDir, history, psqlEnv);
    const jqRows = Number((await client.query('SELECT COUNT(*) AS n FROM stg_events')).rows[0].n);
    const pgVersion = (await client.query('SHOW server_version')).rows[0].server_version;
    await client.end();

    const eventsRate = events.records.staged / (events.timings.stageMs / 1000);
    const psqlRate = psqlRows / (psqlMs / 1000);
    const jqRate = jqRows / (jq.ms / 1000);
    const songsRate = songs.objects.loaded / (songs.timings.stageMs / 1000);
    const result = {
      machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: pgVersion },
      params: { events: events.records.staged, songs: songFiles.length, dayObjects: history.length, concurrency: args.concurrency },
      scenarios: {
        eventsFromS3: { rows: events.records.staged, sourceMb: mb(sourceBytes), wallMs: events.wallMs, stageMs: events.timings.stageMs, rowsPerSec: Math.round(eventsRate), mbPerSec: round1(mb(sourceBytes) / (events.timings.stageMs / 1000)), peakRssMb: events.peakRssMb },
        psqlCopy: { rows: psqlRows, csvMb: mb(statSync(csv).size), wallMs: psqlMs, rowsPerSec: Math.round(psqlRate) },
        jqPipeline: { rows: jqRows, wallMs: jq.ms, rowsPerSec: Math.round(jqRate) },
        songsFromS3: { objects: songs.objects.loaded, wallMs: songs.wallMs, stageMs: songs.timings.stageMs, objectsPerSec: Math.round(songsRate), peakRssMb: songs.peakRssMb },
        bareGetObject: { objects: bare.objects, concurrency: args.concurrency, wallMs: bare.ms, objectsPerSec: Math.round(bare.objects / (bare.ms / 1000)) },
        model: { historyRows: events.records.staged, fullBuildMs: events.timings.modelMs, newDayRows: incremental.records.staged, incrementalDayMs: incremental.timings.modelMs, incrementalRunWallMs: incremental.wallMs },
      },
      ratios: {
        eventsVsPsqlCopy: round2(eventsRate / psqlRate),
        eventsVsJq: round2(eventsRate / jqRate),
        songsVsBareGet: round2(songsRate / (bare.objects / (bare.ms / 1000))),
        incrementalDayVsFullModel: round2(incremental.timings.modelMs / events.timings.modelMs),
      },
      peakRssMb: Math.max(songs.peakRssMb, events.peakRssMb, incremental.peakRssMb),
    };
    if (psqlRows !== events.records.staged || jqRows !== events.records.staged) log(`warning: row counts differ (loader ${events.records.staged}, psql ${psqlRows}, jq ${jqRows})`);
    rmSync(csv, { force: true });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    s3.destroy();
    await s3server.close();
    await server.stop();
    rmSync(pgDir, { recursive: true, force: true });
  }
}

interface LoaderRun {
  status: string;
  objects: { loaded: number };
  records: { staged: number };
  timings: { listMs: number; stageMs: number; modelMs: number };
  peakRssMb: number;
  wallMs: number;
}

/** Runs the built CLI as its own process and returns its --json summary plus the wall time. */
async function loader(args: string[], env: Record<string, string>): Promise<LoaderRun> {
  const start = Date.now();
  // As users run it: the executable itself, so its shebang's memory settings apply;
  // where no dwh.cfg is: the bench says everything on the command line.
  const { stdout, code, stderr } = await run(CLI, args, { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '', ...env }, tmpdir());
  const wallMs = Date.now() - start;
  if (code !== 0) throw new Error(`loader exited ${code}: ${stderr.split('\n').filter(Boolean).slice(-3).join(' | ')}`);
  return { ...(JSON.parse(stdout) as Omit<LoaderRun, 'wallMs'>), wallMs };
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
async function jqPipeline(dataDir: string, files: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number }> {
  const fields = EVENT_FIELDS.map((f) => `.${f.json}`).join(', ');
  const script = files
    .map((f) => `jq -r --arg k '${relative(dataDir, f).split(sep).join('/')}' '[${fields}, $k, input_line_number] | @csv' '${f}'`)
    .join('\n');
  const start = Date.now();
  const { code, stderr } = await run('bash', ['-o', 'pipefail', '-c', `{\n${script}\n} | psql -X -q -v ON_ERROR_STOP=1 -c "\\copy stg_events FROM STDIN WITH (FORMAT csv)"`], env as Record<string, string>);
  if (code !== 0) throw new Error(`jq pipeline failed: ${stderr.split('\n').slice(0, 3).join(' | ')}`);
  return { ms: Date.now() - start };
}

/** Uploads the data once; the bucket lives in the cache between runs, with a marker once complete. */
async function uploadOnce(s3: S3Client, bucket: string, dataDir: string, files: string[], concurrency: number): Promise<void> {
  const done = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: '.bench-complete' })).then(() => true, () => false);
  if (done) return;
  log(`uploading ${files.length} objects to s3://${bucket} (once)`);
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
  const limit = pLimit(concurrency);
  await Promise.all(files.map((f) => limit(async () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: relative(dataDir, f).split(sep).join('/'), Body: await readFile(f) })))));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: '.bench-complete', Body: '' }));
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
