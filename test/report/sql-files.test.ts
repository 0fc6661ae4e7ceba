import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPORT_SQL, reportSqlDir } from '../../src/report/sql-files.ts';

const dir = reportSqlDir();
const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
const text = (f: string) => readFileSync(join(dir, f), 'utf8');
/** The SQL without its comments and string literals. */
const code = (f: string) => text(f).replace(/--.*$/gm, '').replace(/'(?:[^']|'')*'/g, "''");

describe('sql/report files', () => {
  it('are exactly the questions the runner knows, named NN-name.sql', () => {
    expect(files).toEqual(Object.values(REPORT_SQL).sort());
    for (const f of files) expect(f).toMatch(/^\d\d-[a-z0-9-]+\.sql$/);
  });

  it.each(files)('%s opens with a comment saying what it answers', (f) => {
    const lines = text(f).split('\n');
    expect(lines[0]).toMatch(/^-- \S.{10,}/);
  });

  it.each(files)('%s is one statement on unqualified tables', (f) => {
    const sql = code(f).trim();
    expect(sql.endsWith(';')).toBe(true);
    expect(sql.slice(0, -1)).not.toContain(';');
    // search_path picks the schema: no schema names in the file.
    expect(sql).not.toMatch(/\b(?:public|pg_catalog)\s*\./i);
    expect(sql).not.toMatch(/"[^"]+"\s*\.\s*"?\w/);
  });

  it.each(files)('%s uses nothing Redshift lacks', (f) => {
    const sql = code(f);
    for (const bad of [/FILTER\s*\(/i, /DISTINCT\s+ON/i, /generate_series/i, /string_agg/i, /array_agg/i, /ARRAY\s*\[/i, /::/, /\bLATERAL\b/i, /\bILIKE\b/i, /date_bin/i, /percentile_disc/i, /\bRETURNING\b/i]) {
      expect(sql, `${bad}`).not.toMatch(bad);
    }
    // Redshift's AVG of an integer column is an integer: averages are computed from a cast SUM.
    expect(sql).not.toMatch(/\bAVG\s*\(/i);
  });
});
