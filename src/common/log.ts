/**
 * A tiny logger: lines on stderr, each passed through `redact`. Library code
 * receives a Logger; only the CLI decides where lines go and in which format:
 * human text (`warning: …`), or with `--log-format json` one JSON object per
 * line for log shippers: `{"time","level","runId","event","message",…fields}`.
 */
import { redact } from './redact.ts';

/** Machine-readable details of a line: `event` names what happened (`listed`, `plan`, `progress`…), the rest are its figures. */
export type LogFields = { event?: string } & Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** Adds fields to every later line (the run id once it is known); a no-op for text lines. */
  context?(fields: LogFields): void;
}

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  /** Where lines go (default: process.stderr). */
  write?: (line: string) => void;
  verbose?: boolean;
  quiet?: boolean;
  format?: LogFormat;
  /** Clock for the `time` field (tests). */
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const context: LogFields = {};
  const emit =
    options.format === 'json'
      ? (level: string, message: string, fields?: LogFields) => {
          const { event, ...rest } = fields ?? {};
          const record = { time: now().toISOString(), level, runId: context.runId ?? null, event: event ?? 'log', message, ...rest };
          write(`${redact(JSON.stringify(record))}\n`);
        }
      : (level: string, message: string) => write(`${level === 'info' ? '' : `${level === 'warn' ? 'warning' : level}: `}${redact(message)}\n`);
  return {
    info: (m, f) => {
      if (!options.quiet) emit('info', m, f);
    },
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    debug: (m, f) => {
      if (options.verbose) emit('debug', m, f);
    },
    context: (f) => Object.assign(context, f),
  };
}

/** A logger that drops everything (tests, library defaults). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
