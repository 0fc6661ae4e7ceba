/**
 * Runs the `sparkify` CLI as a user would, from the current sources: Node 24
 * runs src/cli/main.ts directly (type stripping), so a test never runs a stale
 * dist/. The shebang's memory settings (an environment variable and node
 * flags) are applied as the shebang applies them when the file is executed.
 * Tests of the built package (npm pack, the README's `npx sparkify`, the
 * `npm start` script) run BUILT_CLI instead, which `npm test` builds first.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { S3_TEST_CREDENTIALS, s3Endpoint } from './services.ts';

/** The CLI's source file. */
export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** The CLI as `npm run build` leaves it (what the package ships). */
export const BUILT_CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/**
 * What the shebang of a CLI file sets: `#!/usr/bin/env -S NAME=value node --flag`
 * gives the environment variables and the node flags.
 */
export function shebangSettings(file: string = CLI): { env: Record<string, string>; nodeFlags: string[] } {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env -S (.*)$/.exec(first);
  if (!m) throw new Error(`${file} has no \`#!/usr/bin/env -S\` shebang: ${first}`);
  const words = m[1].trim().split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) throw new Error(`the shebang of ${file} does not run node: ${first}`);
  const env = Object.fromEntries(words.slice(0, node).map((w) => w.split('=', 2) as [string, string]));
  return { env, nodeFlags: words.slice(node + 1) };
}

const SHEBANG = shebangSettings();

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Node flags before the CLI file (as package.json's start script gives them). */
  nodeFlags?: string[];
  /** The CLI file to run (default: the sources, CLI). */
  cli?: string;
  /** Apply the shebang's settings, as executing the file does (default true; false: plain `node [nodeFlags] file`, as an npm script runs it). */
  shebang?: boolean;
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * Spawns the CLI with `args` and the shebang's settings; `env` is the whole
 * environment (default: this process's).
 */
export function spawnCli(args: string[], options: Omit<CliOptions, 'timeoutMs'> & { stdin?: 'ignore' | 'pipe' } = {}): ChildProcessByStdio<Writable | null, Readable, Readable> {
  const file = options.cli ?? CLI;
  const shebang = options.shebang === false ? { env: {}, nodeFlags: [] } : file === CLI ? SHEBANG : shebangSettings(file);
  return spawn(process.execPath, [...shebang.nodeFlags, ...(options.nodeFlags ?? []), file, ...args], {
    cwd: options.cwd,
    // `env -S NAME=value node` sets NAME over what the process inherits.
    env: { ...(options.env ?? process.env), ...shebang.env },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
}

/** Starts the CLI; `kill` sends it SIGKILL (a crash), `done` is its result. */
export function startCli(args: string[], options: CliOptions = {}): { kill: () => void; done: Promise<CliResult> } {
  const child = spawnCli(args, {
    // Where no dwh.cfg is, unless a test brings its own.
    cwd: options.cwd ?? tmpdir(),
    // A clean environment: nothing of the developer's AWS or PG settings leaks in.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    nodeFlags: options.nodeFlags,
    cli: options.cli,
    shebang: options.shebang,
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { kill: () => child.kill('SIGKILL'), done };
}

/** Environment and flags for reading the test S3 server. */
export function s3Env(): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' };
}
export function s3Flags(): string[] {
  return ['--s3-endpoint', s3Endpoint(), '--s3-path-style'];
}

/** Parses the one JSON object a --json run prints. */
export function json<T = Record<string, any>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
}
