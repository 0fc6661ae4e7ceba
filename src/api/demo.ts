/**
 * `sparkify demo`: a generated sample (made once, then reused) loaded into
 * the embedded Postgres, with the analysts' report written next to it. No
 * config file, no network.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSample } from '../generate/index.ts';
import type { Logger } from '../common/log.ts';
import type { EtlSummary } from '../run/summary.ts';
import { load, type EtlOptions, type LoadHooks } from './etl.ts';
import { logOf } from './options.ts';
import { apiCall } from './session.ts';

/** Size of the demo sample: about the Udacity sample's shape, a bit larger. */
export const DEMO_SAMPLE = { songs: 400, days: 30, users: 120, seed: 2018, startDate: '2018-11-01' } as const;

export interface DemoOptions extends Pick<EtlOptions, 'target' | 'schema' | 'cwd' | 'log' | 'signal' | 'progress'> {
  /** Where the generated sample lives (default `.sparkify/sample`); the report goes to `report.html` beside it. */
  sample?: string;
}

/** The demo's sample: generated once into a folder, then reused. */
export async function demoSample(dir: string, log: Logger): Promise<{ songs: string; logs: string }> {
  const root = resolve(dir);
  const songs = join(root, 'song_data');
  const logs = join(root, 'log_data');
  if (!existsSync(join(root, '.complete'))) {
    log.info(`generating the demo sample in ${root}`);
    const s = await generateSample({ outDir: root, ...DEMO_SAMPLE });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(root, '.complete'), `${JSON.stringify(s)}\n`);
  }
  return { songs, logs };
}

/** The demo: generates the sample if needed, creates the tables, loads, checks and writes the report. */
export function demo(options: DemoOptions = {}): Promise<EtlSummary> {
  return apiCall(() => runDemo(options));
}

/** The demo with the CLI's hooks. */
export async function runDemo(options: DemoOptions, hooks: Omit<LoadHooks, 'command' | 'after'> = {}): Promise<EtlSummary> {
  const log = logOf(options);
  const cwd = options.cwd ?? process.cwd();
  const dir = resolve(cwd, options.sample ?? '.sparkify/sample');
  const sample = await demoSample(dir, log);
  // The demo ignores dwh.cfg and the environment: it always runs on the embedded default unless `target` says otherwise.
  const html = resolve(dir, '..', 'report.html');
  return load(
    { target: options.target, schema: options.schema, ignoreConfigFile: true, songs: sample.songs, logs: sample.logs, env: {}, cwd, log, signal: options.signal, progress: options.progress, createTables: true },
    {
      ...hooks,
      command: 'demo',
      async after(wh) {
        const { runReport, writeReportHtml } = await import('../report/index.ts');
        await writeReportHtml(await runReport(wh), html);
        log.info(`report: ${html}`);
      },
    },
  );
}
