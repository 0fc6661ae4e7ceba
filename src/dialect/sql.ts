/** SQL text helpers shared by both dialects. Identifiers are always quoted. */

/** Quotes an identifier: `my"schema` → `"my""schema"`. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new TypeError('an identifier cannot contain U+0000');
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal for Postgres, where no bind parameter can go. */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('a literal cannot contain U+0000');
  // standard_conforming_strings is on in Postgres ≥ 9.1: only quotes need doubling.
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Quotes a string literal for Redshift (COPY options, catalog lookups). Its
 * lexer is PostgreSQL 8.0's, from before standard_conforming_strings: a
 * backslash in '…' is an escape, so backslashes are doubled too, as Redshift's
 * own QUOTE_LITERAL does [DG:r_QUOTE_LITERAL; REDSHIFT-FACTS §5]. There is no
 * E'…' form to fall back on.
 */
export function quoteRedshiftLiteral(value: string): string {
  return quoteLiteral(value.replaceAll('\\', '\\\\'));
}

/** Names tables inside the configured schema (or unqualified: the default schema). */
export class TableNames {
  readonly schema: string | undefined;
  constructor(schema: string | undefined) {
    this.schema = schema;
  }
  /** `"schema"."table"` or `"table"`. */
  t(table: string): string {
    return this.schema ? `${quoteIdent(this.schema)}.${quoteIdent(table)}` : quoteIdent(table);
  }
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC: a TIMESTAMP literal both warehouses read by default. */
export function sqlTimestamp(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
