/**
 * Installing the CLI outside the checkout, as the README shows: `npm pack`,
 * then `npm install -g` of the tarball (here into a temporary prefix), then the
 * installed `sparkify` loads and reports from anywhere, and an app that
 * imports the package (`import { etl } from 'sparkify'`) type-checks and loads
 * with it. The tarball is packed from the dist/ that `npm test` just built
 * (--ignore-scripts skips a second build).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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

    // The package as a library: `import { etl } from 'sparkify'` resolves through package.json `exports`,
    // with its type declarations; an app depending on it (here linked to the installed copy) loads with it.
    const app = mkdtempSync(join(tmpdir(), 'sparkify-app-'));
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(join(prefix, 'lib', 'node_modules', 'sparkify'), join(app, 'node_modules', 'sparkify'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }));
    writeFileSync(
      join(app, 'load.ts'),
      [
        "import { etl, SparkifyError, type EtlSummary } from 'sparkify';",
        'const [target, logs, songs] = process.argv.slice(2);',
        'const summary: EtlSummary = await etl({ target, logs, songs, createTables: true, maxErrors: 0 });',
        'const code = await etl({ env: {} }).then(() => "none", (err: unknown) => (err instanceof SparkifyError ? err.code : "not a SparkifyError"));',
        'console.log(JSON.stringify({ status: summary.status, loaded: summary.objects.loaded, songplays: summary.tables.songplays, code }));',
        // The options are typed (were they `any`, the directive would be unused, an error).
        '// @ts-expect-error maxErrors is a number or its text',
        'export const typed = () => etl({ maxErrors: {} });',
      ].join('\n'),
    );
    // As `tsc --init` sets it up (skipLibCheck: the declarations name types of pg and the AWS SDK, whose own packages bring them).
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2023', strict: true, skipLibCheck: true, noEmit: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] } }));
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app });
    const library = await run(process.execPath, ['load.ts', await createDatabase('install_api'), join(elsewhere, 'data', 'log_data'), join(elsewhere, 'data', 'song_data')], { cwd: app, env: { PATH: process.env.PATH } });
    expect(JSON.parse(library.stdout)).toEqual({ status: 'ok', loaded: 12, songplays: expect.any(Number), code: 'USAGE' });
  }, 300_000);

  it('packs the type declarations of the API', async () => {
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--dry-run', '--json'], { cwd: ROOT });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/api/etl.d.ts', 'dist/src/run/summary.d.ts']));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './dist/src/index.d.ts', default: './dist/src/index.js' });
    expect(pkg.types).toBe('dist/src/index.d.ts');
  });
});
