/**
 * Every shell command of the README runs, except those that need live AWS or
 * are this suite's own business. The commands are read from the README's
 * ```sh blocks, so an edit there shows up here: each one must be listed below,
 * either with how it runs (the substitutions that point it at the test Postgres
 * and S3 server) or with why it does not; an entry the README no longer has fails too.
 *
 * `npx sparkify` runs the checkout's CLI, so it becomes `node <checkout>/dist/src/cli/main.js`
 * (what npx runs inside the checkout), from a scratch folder. Commands without
 * `--target` reach the test database through DATABASE_URL, as the README says
 * the environment may.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { generateSample } from '../src/generate/index.ts';
import { BUILT_CLI } from './support/cli.ts';
import { createDatabase, pgAdminUrl, s3Endpoint, S3_TEST_CREDENTIALS, testS3Client, uploadDirectory } from './support/services.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The shell commands of the README's ```sh blocks: continuation lines joined, comments dropped. */
export function readmeCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const joined = block[1].replace(/\\\n\s*/g, '');
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (line && !line.startsWith('#')) commands.push(line);
    }
  }
  return commands;
}

interface Runs {
  /** Text replaced before running (the README's example hosts → the test servers). */
  sub?: [string, string][];
  /** Run before the command (a bucket to read, a dwh.cfg to find). */
  before?: () => Promise<void> | void;
  /** What its output must show. */
  expect?: (out: { stdout: string; stderr: string }) => void;
}

let work: string;
let url: string;
let target: string;
let env: Record<string, string>;

const LIVE_AWS = 'reads a real AWS bucket: no network here but the package registries';
const AWS_BATCH = 'submits to AWS Batch: no network here but the package registries';
const KUBERNETES = 'needs a Kubernetes cluster; test/shards.int.test.ts runs shards as separate processes, then the model';
const CURATED: [string, Runs | string][] = [
  ['npm ci && npm start', 'npm ci runs before this suite; test/demo.int.test.ts runs the package.json start script (sparkify demo) from a scratch folder'],
  ['npm test', 'this suite'],
  ['npm pack', 'test/install.int.test.ts packs the checkout and installs the tarball globally into a temporary prefix'],
  ['npm install -g ./sparkify-*.tgz', 'test/install.int.test.ts (with --prefix, to leave the machine as it was)'],
  ['npx sparkify run --logs s3://udacity-dend/log_data --songs s3://udacity-dend/song_data --no-sign-request', LIVE_AWS],
  ['npx sparkify run --logs s3://my-bucket/events --songs s3://my-bucket/songs --s3-region eu-west-1 --profile analytics', LIVE_AWS],
  [
    'AWS_ACCESS_KEY_ID=minio AWS_SECRET_ACCESS_KEY=minio123 npx sparkify run --logs s3://raw/log_data --s3-endpoint http://minio:9000 --s3-path-style',
    {
      // The test server knows one key; the endpoint is the test server's.
      sub: [['=minio123', `=${S3_TEST_CREDENTIALS.secretAccessKey}`], ['=minio', `=${S3_TEST_CREDENTIALS.accessKeyId}`], ['http://minio:9000', '{s3}']],
      async before() {
        const s3 = testS3Client();
        await s3.send(new CreateBucketCommand({ Bucket: 'raw' })).catch(() => undefined);
        await uploadDirectory(s3, 'raw', 'log_data', join(work, 'sample', 'log_data'));
        s3.destroy();
      },
      expect: ({ stdout }) => expect(stdout).toMatch(/^status: ok/),
    },
  ],
  [
    'createdb dwh',
    {
      // Debian's postgresql-client provides createdb; where it is missing, the same database is made with SQL.
      sub: existsSync('/usr/bin/createdb') ? [] : [['createdb dwh', `node -e "const pg = require('${ROOT}node_modules/pg'); const c = new pg.Client(); c.connect().then(() => c.query('CREATE DATABASE dwh')).then(() => c.end())"`]],
    },
  ],
  ['npx sparkify generate data', { expect: ({ stdout }) => expect(stdout).toMatch(/^wrote 200 song objects and 30 day objects/) }],
  [
    'npx sparkify run --target postgres://me@localhost:5432/dwh --schema sparkify --logs ./data/log_data --songs ./data/song_data',
    { sub: [['postgres://me@localhost:5432/dwh', '{dwh}']], expect: ({ stdout }) => expect(stdout).toMatch(/^status: ok \(run 1\)/) },
  ],
  [
    'npx sparkify doctor --target postgres://me@localhost:5432/dwh --schema sparkify --logs ./data/log_data',
    { sub: [['postgres://me@localhost:5432/dwh', '{dwh}']], expect: ({ stdout }) => expect(stdout).toMatch(/^PASS warehouse reachable/) },
  ],
  ['npx sparkify report', { expect: ({ stdout }) => expect(stdout).toMatch(/^Sparkify listening report/) }],
  ['npx sparkify report --json', { expect: ({ stdout }) => expect(JSON.parse(stdout).overview.songplays).toBeGreaterThan(0) }],
  ['npx sparkify report --html report.html', { expect: () => expect(readFileSync(join(work, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/i) }],
  ['npx sparkify check', { expect: ({ stdout }) => expect(stdout).toMatch(/^PASS songplays has rows/) }],
  [
    '15 2 * * *  cd /srv/sparkify && npx sparkify etl --wait 3600 --json >> /var/log/sparkify.jsonl 2>> /var/log/sparkify.err',
    {
      // The crontab line's command, in a folder whose dwh.cfg names the sources, as /srv/sparkify's would.
      sub: [['15 2 * * *  ', ''], ['/srv/sparkify', '{work}'], ['/var/log/', '{work}/log/']],
      before() {
        mkdirSync(join(work, 'log'), { recursive: true });
        writeFileSync(join(work, 'dwh.cfg'), '[S3]\nLOG_DATA = ./data/log_data   # the generated sample\nSONG_DATA = ./data/song_data\n[ETL]\nMAX_ERRORS = 0\n');
      },
      expect: () => expect(JSON.parse(readFileSync(join(work, 'log', 'sparkify.jsonl'), 'utf8')).status).toBe('ok'),
    },
  ],
  ['npx sparkify etl --since 2018-11-01 --until 2018-11-30', { expect: ({ stdout }) => expect(stdout).toMatch(/^status: ok/) }],
  ['npx sparkify etl --since 2018-11-05 --until 2018-11-05 --full-refresh', { expect: ({ stdout }) => expect(stdout).toMatch(/^objects: 230 listed, 1 loaded, 229 skipped/m) }],
  ['npx sparkify etl --prune', { expect: ({ stdout }) => expect(stdout).toMatch(/^status: ok/) }],
  ['npx sparkify etl --dry-run', { expect: ({ stderr }) => expect(stderr).toContain('nothing was changed') }],
  ['npx sparkify status', { expect: ({ stdout }) => expect(stdout).toMatch(/^Warehouse: .* \(from DATABASE_URL\)\n/) }],
  ['npx sparkify rejects --reason itemInSession --raw', { expect: ({ stdout }) => expect(stdout.trim()).toBe('no rejects match') }],
  ['npx sparkify create-tables', {}],
  // `wait` exits 0 whatever its jobs did: each shard's summary says how it ended.
  ['for i in 0 1 2; do npx sparkify etl --shard $i/3 & done; wait', { expect: ({ stdout }) => expect(stdout.match(/^status: ok/gm)).toHaveLength(3) }],
  ['npx sparkify model', { expect: ({ stdout }) => expect(stdout).toMatch(/^status: ok .*\n[^]*^model: up to date$/m) }],
  ['kubectl apply -f sparkify-shards.yaml', KUBERNETES],
  ['kubectl wait --for=condition=complete job/sparkify-shards --timeout=6h', KUBERNETES],
  ['kubectl apply -f sparkify-model.yaml', KUBERNETES],
  [`aws batch submit-job --job-name sparkify-shards --job-queue etl --job-definition sparkify --array-properties size=8 --container-overrides '{"command": ["etl", "--shards", "8", "--json"]}'`, AWS_BATCH],
  [`aws batch submit-job --job-name sparkify-model --job-queue etl --job-definition sparkify --depends-on jobId=SHARDS_JOB_ID --container-overrides '{"command": ["model", "--json"]}'`, AWS_BATCH],
];

function shell(command: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd: work, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sparkify-readme-'));
  await generateSample({ outDir: join(work, 'sample'), songs: 20, days: 3, users: 10, seed: 5, startDate: '2018-11-01' });
  url = await createDatabase('readme');
  const admin = new URL(pgAdminUrl());
  target = `postgres://${admin.username}:${admin.password}@${admin.hostname}:${admin.port}/dwh`;
  // createdb and psql read these; the CLI reads DATABASE_URL.
  env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', DATABASE_URL: url, PGHOST: admin.hostname, PGPORT: admin.port, PGUSER: admin.username, PGPASSWORD: admin.password };
});

describe('the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const commands = readmeCommands(readme);

  it('has no shell command this test does not know, and knows none it lost', () => {
    expect(commands.filter((c) => !CURATED.some(([k]) => k === c))).toEqual([]);
    expect(CURATED.map(([k]) => k).filter((k) => !commands.includes(k))).toEqual([]);
  });

  it('runs every command that can run here, in the README\'s order', async () => {
    let ran = 0;
    for (const command of commands) {
      const how = CURATED.find(([k]) => k === command)![1];
      if (typeof how === 'string') continue;
      await how.before?.();
      let text = command.replace(/\bnpx sparkify\b/g, `node ${BUILT_CLI}`);
      for (const [from, to] of how.sub ?? []) text = text.replaceAll(from, to);
      text = text.replaceAll('{s3}', s3Endpoint()).replaceAll('{dwh}', target).replaceAll('{work}', work);
      const r = await shell(text);
      expect(r.code, `${command}\n${r.stderr}`).toBe(0);
      how.expect?.(r);
      ran++;
    }
    expect(ran).toBe(CURATED.filter(([, how]) => typeof how !== 'string').length);
  });
});
