import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { goldenText, REGENERATE_GOLDEN } from './golden.ts';

describe('golden files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparkify-golden-'));

  it('a missing one fails, naming the command that regenerates it, and is not written', () => {
    const file = pathToFileURL(join(dir, 'missing.sql'));
    expect(() => goldenText(file, 'SELECT 1;\n', {})).toThrow(`golden file missing.sql is missing (${join(dir, 'missing.sql')}): run \`${REGENERATE_GOLDEN}\``);
    expect(existsSync(file)).toBe(false);
  });

  it('an existing one is read as it is, whatever the test produced', () => {
    const file = pathToFileURL(join(dir, 'old.sql'));
    writeFileSync(file, 'SELECT 1;\n');
    expect(goldenText(file, 'SELECT 2;\n', {})).toBe('SELECT 1;\n');
  });

  it('UPDATE_GOLDEN=1 writes what the test produced', () => {
    const file = pathToFileURL(join(dir, 'new.sql'));
    expect(goldenText(file, 'SELECT 3;\n', { UPDATE_GOLDEN: '1' })).toBe('SELECT 3;\n');
    expect(readFileSync(file, 'utf8')).toBe('SELECT 3;\n');
  });

  it('the command it names exists', () => {
    const scripts = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts as Record<string, string>;
    expect(REGENERATE_GOLDEN).toBe('npm run update-golden');
    expect(scripts['update-golden']).toBe('UPDATE_GOLDEN=1 vitest run test/redshift-sql');
  });
});
