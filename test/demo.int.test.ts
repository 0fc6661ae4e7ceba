/**
 * `npm start` on a fresh checkout: `sparkify demo` generates a sample, starts
 * the embedded Postgres in ./.sparkify, loads it and prints a summary. The
 * first run is the package.json `start` script itself (the README's command),
 * from a scratch folder.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { json, runCli } from './support/cli.ts';

describe('demo on the embedded default', () => {
  it('builds the star schema with no configuration, then finds nothing new', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sparkify-demo-'));
    chmodSync(cwd, 0o755); // the embedded Postgres runs as its own user when we are root
    const script = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts.start as string;
    expect(script).toMatch(/^node .*dist\/src\/cli\/main\.js demo$/);
    const [node, ...flags] = script.replace(/ demo$/, '').split(' ');
    expect(node).toBe('node');
    // The file the script runs (the built CLI), with its flags, as npm runs it (no shebang).
    const file = flags.pop()!;
    const first = await runCli(['demo', '--json'], { cwd, nodeFlags: flags, cli: fileURLToPath(new URL(`../${file}`, import.meta.url)), shebang: false });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`report: ${join(cwd, '.sparkify', 'report.html')}`);
    const s = json(first);
    expect(s.status).toBe('ok');
    expect(s.records.rejected).toBe(0);
    expect(s.objects.loaded).toBe(430);
    for (const table of ['stg_events', 'stg_songs', 'songplays', 'users', 'songs', 'artists', 'time']) expect(s.tables[table], table).toBeGreaterThan(0);
    expect(existsSync(join(cwd, '.sparkify', 'pg', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(cwd, '.sparkify', 'pg', 'postmaster.pid'))).toBe(false); // stopped after the run

    const second = await runCli(['demo'], { cwd });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/objects: 430 listed, 0 loaded, 430 skipped, 0 failed/);
    expect(second.stdout).toContain(`songplays ${s.tables.songplays}`);
  }, 180_000);
});
