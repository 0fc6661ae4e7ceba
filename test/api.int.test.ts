/**
 * The programmatic API (src/index.ts): each command as a function, options
 * in, result out, nothing printed, every failure a SparkifyError whose `code`
 * says what failed — and the CLI's --json failures carry the same code.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, createTables, doctor, etl, generate, model, rejects, report, SparkifyError, status, type CommonOptions } from '../src/index.ts';
import { InterruptedError } from '../src/common/errors.ts';
import { createDatabase, SAMPLE_DIR } from './support/services.ts';
import { json, runCli } from './support/cli.ts';

/** Options that read nothing of this process's environment or folder. */
const isolated = (): CommonOptions => ({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'sparkify-api-')) });
const sample = { logs: `${SAMPLE_DIR}log_data`, songs: `${SAMPLE_DIR}song_data` };

/** What `work` rejects with: a SparkifyError, or the test fails. */
async function failure(work: Promise<unknown>): Promise<SparkifyError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SparkifyError);
  return err as SparkifyError;
}

describe('the API', () => {
  const written: string[] = [];
  beforeEach(() => {
    written.length = 0;
    for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    // The API never prints: log lines go to the logger it is given (none here).
    expect(written).toEqual([]);
  });

  it('creates the tables, loads, and answers status, report, check and rejects, as --json would', async () => {
    const target = await createDatabase('api_load');
    expect(await createTables({ ...isolated(), target })).toEqual({ target: 'postgres', schema: null, reset: false });
    const run = await etl({ ...isolated(), target, ...sample, maxErrors: 0 });
    expect(run).toMatchObject({ status: 'ok', objects: { listed: 101, loaded: 101, failed: 0 }, records: { rejected: 0 }, model: { mode: 'full' } });
    expect(run.checks?.every((c) => c.ok)).toBe(true);
    expect(run.tables.songplays).toBeGreaterThan(0);

    const again = await model({ ...isolated(), target });
    expect(again).toMatchObject({ status: 'ok', model: { mode: 'none' } });
    const st = await status({ ...isolated(), target, runs: 1 });
    expect(st.runs).toHaveLength(1);
    expect(st.runs[0]).toMatchObject({ command: 'model', status: 'ok' });
    expect(st.destination).toMatch(/^postgres:\/\//);
    expect((await report({ ...isolated(), target })).overview.songplays).toBe(run.tables.songplays);
    expect(await check({ ...isolated(), target })).toMatchObject({ ok: true });
    expect(await rejects({ ...isolated(), target })).toEqual({ total: 0, rejects: [] });
    const doc = await doctor({ ...isolated(), target, ...sample });
    expect(doc.ok, JSON.stringify(doc.checks)).toBe(true);
  });

  it('loads into a database whose tables it creates (`run`), with a logger when given one', async () => {
    const target = await createDatabase('api_run');
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m), debug() {} };
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-api-gen-'));
    expect(await generate({ outDir: dir, songs: 5, days: 2, users: 3, seed: 1 })).toMatchObject({ songObjects: 5, dayObjects: 2 });
    const run = await etl({ ...isolated(), target, logs: join(dir, 'log_data'), songs: join(dir, 'song_data'), createTables: true, skipChecks: true, log });
    expect(run).toMatchObject({ status: 'ok', objects: { loaded: 7 } });
    expect(run.checks).toBeUndefined();
    expect(lines).toContainEqual(expect.stringMatching(/^run 1: loading into/));
  });

  describe('errors by code', () => {
    it('USAGE: no source, a bad number, a bad limit, a bad generate option', async () => {
      expect((await failure(etl(isolated()))).code).toBe('USAGE');
      expect((await failure(etl({ ...isolated(), ...sample, concurrency: 'lots' }))).code).toBe('USAGE');
      expect((await failure(etl({ ...isolated(), target: 'mysql://x/y', ...sample }))).code).toBe('USAGE');
      expect((await failure(rejects({ ...isolated(), limit: 0 }))).code).toBe('USAGE');
      expect((await failure(generate({ outDir: tmpdir(), songs: 1, days: 1, users: 1, seed: 1, startDate: '2018-13-45' }))).code).toBe('USAGE');
    });

    it('CONFIG: a malformed dwh.cfg, a report that cannot be written', async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'sparkify-api-cfg-'));
      writeFileSync(join(cwd, 'dwh.cfg'), '[CLUSTER]\nDB_PORT 5432\n');
      const err = await failure(etl({ env: {}, cwd, ...sample }));
      expect(err).toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/^dwh\.cfg:2: /) });
      const target = await createDatabase('api_html');
      await createTables({ ...isolated(), target });
      expect((await failure(report({ ...isolated(), target, html: '/no/such/folder/report.html' }))).code).toBe('CONFIG');
    });

    it('SOURCE: a folder that does not exist, a folder that lists nothing', async () => {
      const target = await createDatabase('api_source');
      expect((await failure(etl({ ...isolated(), target, logs: '/no/such/folder', createTables: true }))).code).toBe('SOURCE');
      const empty = mkdtempSync(join(tmpdir(), 'sparkify-api-empty-'));
      expect((await failure(etl({ ...isolated(), target, logs: empty }))).code).toBe('SOURCE');
    });

    it('CONNECTION and SCHEMA: a warehouse that is not there, tables that are not there', async () => {
      expect((await failure(etl({ ...isolated(), target: 'postgres://loader@127.0.0.1:1/dwh', ...sample }))).code).toBe('CONNECTION');
      const target = await createDatabase('api_schema');
      expect((await failure(status({ ...isolated(), target }))).code).toBe('SCHEMA');
      expect((await failure(etl({ ...isolated(), target, ...sample }))).code).toBe('SCHEMA');
    });

    it('INTERRUPTED: a run whose signal stops it', async () => {
      const target = await createDatabase('api_stop');
      const signal = AbortSignal.abort(new InterruptedError('SIGTERM'));
      const err = await failure(etl({ ...isolated(), target, ...sample, createTables: true, signal }));
      expect(err.code).toBe('INTERRUPTED');
    });
  });
});

describe('the CLI, by the same codes', () => {
  it('--json failures say the code, and the exit code follows it', async () => {
    const usage = await runCli(['etl', '--json']);
    expect(usage.code).toBe(2);
    expect(json(usage)).toMatchObject({ status: 'failed', code: 'USAGE', error: expect.stringMatching(/^no source to load/) });

    const cwd = mkdtempSync(join(tmpdir(), 'sparkify-cli-cfg-'));
    writeFileSync(join(cwd, 'dwh.cfg'), '[CLUSTER]\nDB_PORT 5432\n');
    const config = await runCli(['etl', '--json'], { cwd });
    expect(config.code).toBe(1);
    expect(json(config)).toMatchObject({ status: 'failed', code: 'CONFIG' });

    const url = await createDatabase('cli_codes');
    const source = await runCli(['run', '--target', url, '--logs', '/no/such/folder', '--json']);
    expect(source.code).toBe(1);
    expect(json(source)).toMatchObject({ status: 'failed', code: 'SOURCE' });

    const warehouse = await runCli(['etl', '--target', 'postgres://loader@127.0.0.1:1/dwh', '--logs', `${SAMPLE_DIR}log_data`, '--json']);
    expect(warehouse.code).toBe(1);
    expect(json(warehouse)).toMatchObject({ status: 'failed', code: 'CONNECTION' });

    const schema = await runCli(['status', '--target', await createDatabase('cli_codes_empty'), '--json']);
    expect(schema.code).toBe(1);
    expect(json(schema)).toMatchObject({ status: 'failed', code: 'SCHEMA' });
  });
});
