/** Runs the built `sparkify` CLI as a user would (npm test builds it first). */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { S3_TEST_CREDENTIALS, s3Endpoint } from './services.ts';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

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
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Starts the CLI; `kill` sends it SIGKILL (a crash), `done` is its result. */
export function startCli(args: string[], options: CliOptions = {}): { kill: () => void; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), CLI, ...args], {
    // Where no dwh.cfg is, unless a test brings its own.
    cwd: options.cwd ?? tmpdir(),
    // A clean environment: nothing of the developer's AWS or PG settings leaks in.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
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
