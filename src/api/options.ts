/**
 * What every API function takes: the settings the command-line flags give
 * (same names, camelCase: `target`, `schema`, `logs`, `maxErrors`…), resolved
 * as the CLI resolves them — options → environment → dwh.cfg → defaults
 * (config/) — plus where log lines go and a signal that stops the work.
 */
import { resolveConfig, type Config, type Env, type Flags } from '../config/index.ts';
import { silentLogger, type Logger } from '../common/log.ts';

/** Settings the CLI reads as text that the API also takes as numbers. */
type NumericSetting = 'concurrency' | 'workers' | 'maxErrors' | 'retries' | 'timeout' | 'swapWait' | 'wait' | 'rejectsRetention' | 'shards';

/** The command-line flags as options (`--max-errors 5` is `maxErrors: 5`); each is optional and documented by `sparkify <command> --help`. */
export type Settings = Omit<Flags, NumericSetting> & { [K in NumericSetting]?: number | string };

export interface CommonOptions extends Settings {
  /** Environment read for DATABASE_URL, AWS_*, PG* … (default: process.env; `{}` reads none). */
  env?: Env;
  /** Folder where dwh.cfg and relative paths are found (default: process.cwd()). */
  cwd?: string;
  /** Where log lines go (default: nowhere; `createLogger()` writes them to stderr as the CLI does). */
  log?: Logger;
  /** Stops the work: a run rolls back the objects in flight, is recorded `interrupted`, and rejects with code INTERRUPTED. */
  signal?: AbortSignal;
}

/** The frozen config the options resolve to. */
export function configOf(options: CommonOptions): Config {
  const { env, cwd, log: _log, signal: _signal, ...settings } = options;
  const flags = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])) as Flags;
  return resolveConfig(flags, env ?? process.env, cwd ?? process.cwd());
}

export function logOf(options: CommonOptions): Logger {
  return options.log ?? silentLogger;
}
