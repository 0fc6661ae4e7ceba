/**
 * Errors the stand-in raises itself (refusals, COPY failures) carry the same
 * fields as a server ErrorResponse, so the session can send them unchanged.
 */

export interface ErrorFields {
  severity: 'ERROR' | 'FATAL';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  /** 1-based character position in the client's query text, as Postgres reports it. */
  position?: number;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
}

export class StandinError extends Error {
  readonly code: string;
  readonly severity: 'ERROR' | 'FATAL';
  readonly detail?: string;
  readonly hint?: string;
  /** 0-based offset into the statement text the error points at (mapped to a client position later). */
  readonly offset?: number;

  constructor(code: string, message: string, extra: { detail?: string; hint?: string; offset?: number; severity?: 'ERROR' | 'FATAL' } = {}) {
    super(message);
    this.name = 'StandinError';
    this.code = code;
    this.severity = extra.severity ?? 'ERROR';
    this.detail = extra.detail;
    this.hint = extra.hint;
    this.offset = extra.offset;
  }
}

/** `syntax error at or near "X"`, the way Redshift's (Postgres 8) parser words it. */
export function syntaxError(near: string, offset?: number): StandinError {
  return new StandinError('42601', `syntax error at or near "${near}"`, { offset });
}

export function notSupported(message: string, offset?: number): StandinError {
  return new StandinError('0A000', message, { offset });
}

/** An error Redshift reports as an internal error (SQLSTATE XX000), such as every COPY failure. */
export function internalError(message: string, detail?: string): StandinError {
  return new StandinError('XX000', message, { detail });
}

/** An error Postgres raised for a statement, with its position mapped back to the client's statement text. */
export class UpstreamFailure extends Error {
  readonly fields: Omit<ErrorFields, 'position'>;
  /** 0-based offset into the statement text, when Postgres gave a position. */
  readonly offset?: number;

  constructor(fields: Omit<ErrorFields, 'position'>, offset?: number) {
    super(fields.message);
    this.name = 'UpstreamFailure';
    this.fields = fields;
    this.offset = offset;
  }
}
