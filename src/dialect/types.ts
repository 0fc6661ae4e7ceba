/**
 * What differs between warehouses. The model SQL both share is written once
 * (model/star-schema.ts) and asks the dialect only for these pieces.
 */
import type { TableNames } from './sql.ts';

export type DialectName = 'postgres' | 'redshift';

export interface Dialect {
  readonly name: DialectName;
  /** CREATE statements for every table, idempotent (IF NOT EXISTS), in order. */
  createTables(names: TableNames): string[];
  /**
   * Indexes the incremental model step reads through (Postgres), as
   * idempotent CREATE statements; a bulk load drops them (dropModelIndexes)
   * and the model step creates them again, which is cheaper than maintaining
   * them row by row during a big COPY. Empty where the warehouse has none.
   */
  modelIndexes(names: TableNames): string[];
  dropModelIndexes(names: TableNames): string[];
  /** DROP statements for every table the loader owns. */
  dropTables(names: TableNames): string[];
  /** Empties a table inside a transaction (Redshift's TRUNCATE would commit it). */
  emptyTable(table: string): string;
  /** Expression turning epoch milliseconds (BIGINT) into a UTC TIMESTAMP with ms kept. */
  epochMsToTimestamp(expr: string): string;
  /** INTEGER date part of a TIMESTAMP: hour, day, week (ISO), month, year, dow (0 = Sunday). */
  datePart(part: 'hour' | 'day' | 'week' | 'month' | 'year' | 'dow', expr: string): string;
  /** Expression ordering text by its bytes, the same on every warehouse. */
  byteOrder(expr: string): string;
  /** Exact text equality (Redshift ignores trailing spaces in `=`). */
  textEquals(a: string, b: string): string;
  /** `CREATE TEMP TABLE name AS select`, dropped at commit where the warehouse can. */
  createTempTableAs(name: string, select: string): string;
  /** Drops a temp table created by createTempTableAs, where it outlives the transaction. */
  dropTempTable(name: string): string | undefined;
  /** Settings for the model step's transaction (e.g. a larger work_mem). */
  modelSettings(): string[];
  /** Refreshes planner statistics of a (temp) table, or undefined when not needed. */
  analyze(table: string): string | undefined;
  /**
   * SELECT of the latest event of each user in `affectedUsers` (a table with a
   * `user_id` INTEGER column), or of every user when undefined; columns
   * user_id, first_name, last_name, gender, level.
   */
  latestEventPerUser(names: TableNames, affectedUsers: string | undefined): string;
  /** Parameter placeholder for the i-th (1-based) bind value. */
  param(i: number): string;
  /** Token written for NULL in staged CSV. */
  readonly csvNull: string;
  /** Whether string widths are enforced at validation (VARCHAR(n) in bytes). */
  readonly enforcesWidths: boolean;
  /** Largest raw text kept with a reject, in bytes of UTF-8. */
  readonly rawMaxBytes: number;
}
