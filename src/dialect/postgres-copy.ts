/**
 * Postgres's COPY from the client (pg-copy-streams sends the rows), the one
 * statement Redshift has no form of (REDSHIFT-FACTS §5): Redshift stages
 * through S3 instead (redshift-copy.ts).
 */

/** `COPY table (columns) FROM STDIN`; binary rows for staging (binary-copy.ts), CSV for rejects. */
export function copyFromStdin(table: string, columns: readonly string[], format: 'csv' | 'binary'): string {
  return `COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT ${format})`;
}
