/**
 * A tiny logger: human lines on stderr, each passed through `redact`. Library
 * code receives a Logger; only the CLI decides where lines go.
 */
import { redact } from './redact.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

export interface LoggerOptions {
  /** Where lines go (default: process.stderr). */
  write?: (line: string) => void;
  verbose?: boolean;
  quiet?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const emit = (level: string, message: string) => write(`${level}${redact(message)}\n`);
  return {
    info: (m) => {
      if (!options.quiet) emit('', m);
    },
    warn: (m) => emit('warning: ', m),
    error: (m) => emit('error: ', m),
    debug: (m) => {
      if (options.verbose) emit('debug: ', m);
    },
  };
}

/** A logger that drops everything (tests, library defaults). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
