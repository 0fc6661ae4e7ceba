import { describe, expect, it } from 'vitest';
import { checksPassed, checkSpecs, renderChecks } from '../../src/check/index.ts';
import { dialectFor, TableNames } from '../../src/dialect/index.ts';

describe('renderChecks', () => {
  it('prints one PASS/FAIL line per check with its detail', () => {
    const results = [
      { name: 'users has rows', ok: true, detail: '97 rows' },
      { name: 'songplays.start_time in time', ok: false, detail: '2 of 6820 songplays not in time (1 distinct value)' },
    ];
    expect(renderChecks(results)).toBe('PASS users has rows — 97 rows\nFAIL songplays.start_time in time — 2 of 6820 songplays not in time (1 distinct value)');
    expect(checksPassed(results)).toBe(false);
    expect(checksPassed(results.slice(0, 1))).toBe(true);
    expect(renderChecks([])).toBe('');
  });
});

describe('check SQL', () => {
  const specs = checkSpecs(new TableNames('my"schema'), dialectFor('postgres'));
  it('qualifies and quotes every table', () => {
    for (const s of specs) {
      expect(s.sql, s.name).toMatch(/"my""schema"\./);
      expect(s.sql, s.name).not.toMatch(/\bFROM (?:songplays|users|songs|artists|time|stg_\w+|etl_\w+)\b/);
    }
  });
  it('uses nothing Redshift lacks', () => {
    for (const s of specs) expect(s.sql, s.name).not.toMatch(/FILTER\s*\(|DISTINCT ON|generate_series|string_agg|ARRAY\[|::/i);
  });
  it('judges with numbers that pg returns as text (bigint)', () => {
    const key = specs.find((s) => s.name === 'users.user_id unique and not null')!;
    expect(key.judge({ total: '98', nulls: '0', duplicated_keys: '1', duplicated_rows: '2' })).toEqual({ ok: false, detail: '98 rows, 0 with a null key, 1 duplicated key on 2 rows' });
    expect(key.judge({ total: '0', nulls: null, duplicated_keys: '0', duplicated_rows: '0' })).toEqual({ ok: true, detail: '0 rows, 0 with a null key, 0 duplicated keys' });
  });
});
