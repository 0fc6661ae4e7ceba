/**
 * Installing the CLI outside the checkout, as the README shows: `npm pack`,
 * then `npm install -g` of the tarball (here into a temporary prefix), then the
 * installed `sparkify` loads and reports from anywhere. The tarball is packed
 * from the dist/ that `npm test` just built (--ignore-scripts skips a second build).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateSample } from '../src/generate/index.ts';
import { createDatabase } from './support/services.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('npm pack, then npm install -g', () => {
  it('installs a sparkify command that runs from any folder', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sparkify-pack-'));
    const prefix = mkdtempSync(join(tmpdir(), 'sparkify-prefix-'));
    const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', out], { cwd: ROOT, env });
    const tarball = readdirSync(out).find((f) => /^sparkify-.*\.tgz$/.test(f));
    expect(tarball).toBeDefined();
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', join(out, tarball!)], { cwd: out, env, timeout: 240_000 });
    const sparkify = join(prefix, 'bin', 'sparkify');

    const elsewhere = mkdtempSync(join(tmpdir(), 'sparkify-elsewhere-'));
    const help = await run(sparkify, ['--help'], { cwd: elsewhere });
    expect(help.stdout).toMatch(/^Usage: sparkify \[options\] \[command\]/);
    for (const command of ['create-tables', 'etl', 'run', 'status', 'report', 'check', 'rejects', 'doctor', 'demo', 'generate']) expect(help.stdout).toContain(`  ${command}`);
    expect((await run(sparkify, ['--version'], { cwd: elsewhere })).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);

    // The installed command loads and reports (its SQL files shipped with it).
    await generateSample({ outDir: join(elsewhere, 'data'), songs: 10, days: 2, users: 5, seed: 3, startDate: '2018-11-01' });
    const url = await createDatabase('install');
    const load = await run(sparkify, ['run', '--target', url, '--logs', './data/log_data', '--songs', './data/song_data', '--json'], { cwd: elsewhere, env: { PATH: process.env.PATH } });
    expect(JSON.parse(load.stdout)).toMatchObject({ status: 'ok', objects: { listed: 12, loaded: 12 } });
    const report = await run(sparkify, ['report', '--target', url], { cwd: elsewhere, env: { PATH: process.env.PATH } });
    expect(report.stdout).toMatch(/^Sparkify listening report/);
  }, 300_000);
});
