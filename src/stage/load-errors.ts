/**
 * Reading back what a Redshift COPY could not load, from the system view the
 * warehouse keeps it in (the statements: dialect/redshift-load-errors.ts).
 * Every lookup runs on its own pooled connection, outside the load's
 * transaction: Redshift has no savepoints, so a lookup that failed inside the
 * transaction would abort the load.
 */
import type pg from 'pg';
import { LOAD_ERROR_VIEWS, loadErrorsSql, probeViewSql, type CopyRef, type LoadErrorSource } from '../dialect/redshift-load-errors.ts';

export type { LoadErrorSource } from '../dialect/redshift-load-errors.ts';

/** The first of SYS_LOAD_ERROR_DETAIL, STL_LOAD_ERRORS that the connection can read. */
export async function findLoadErrorSource(pool: Pick<pg.Pool, 'query'>): Promise<LoadErrorSource> {
  for (const [source, view] of LOAD_ERROR_VIEWS) {
    try {
      await pool.query(probeViewSql(view));
      return source;
    } catch {
      // Absent (42P01) or not allowed (Serverless answers STL with 42501): try the next.
    }
  }
  return 'none';
}

/** One load error of a COPY, as the view keeps it (CHAR columns trimmed). */
export interface LoadError {
  file: string;
  line: number;
  column: string;
  code: number;
  reason: string;
  /** STL only: the line as loaded (at most 1024 bytes, multibyte characters as '.') and the field's value. */
  rawLine?: string;
  rawValue?: string;
}

/** The load errors of one COPY, by line; `limit` keeps only the latest ones. */
export async function readLoadErrors(pool: Pick<pg.Pool, 'query'>, source: LoadErrorSource, ref: CopyRef, limit?: number): Promise<LoadError[]> {
  if (source === 'none') return [];
  const { text, values } = loadErrorsSql(source, ref, limit);
  const { rows } = await pool.query(text, values);
  return rows.map((r) => ({
    file: r.file as string,
    line: Number(r.line_number),
    column: (r.colname as string | null) ?? '',
    code: Number(r.err_code),
    reason: (r.err_reason as string | null) ?? '',
    rawLine: (r.raw_line as string | null) ?? undefined,
    rawValue: (r.raw_field_value as string | null) ?? undefined,
  }));
}
