/** The demo's sample: generated once into a folder, then reused. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSample } from '../generate/index.ts';
import type { Logger } from '../common/log.ts';

/** Size of the demo sample: about the Udacity sample's shape, a bit larger. */
export const DEMO_SAMPLE = { songs: 400, days: 30, users: 120, seed: 2018, startDate: '2018-11-01' } as const;

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
