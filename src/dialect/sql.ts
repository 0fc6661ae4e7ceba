/** SQL text helpers shared by both dialects. Identifiers are always quoted. */

/** Quotes an identifier: `my"schema` → `"my""schema"`. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new TypeError('an identifier cannot contain U+0000');
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal for places that take no bind parameters (COPY options). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('a literal cannot contain U+0000');
  // standard_conforming_strings is on in Postgres ≥ 9.1 and in Redshift: only quotes need doubling.
  return `'${value.replaceAll("'", "''")}'`;
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
