/**
 * Golden files: a test compares what it produces with a file checked in next
 * to it. A test run never writes one: a missing file fails, naming the command
 * that regenerates them all (after which the diff is reviewed before committing).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What regenerates the golden files (package.json `update-golden`: UPDATE_GOLDEN=1 vitest run test/redshift-sql). */
export const REGENERATE_GOLDEN = 'npm run update-golden';

/**
 * The golden text of `file`, to compare with `actual`: with UPDATE_GOLDEN=1
 * in `env` it writes `actual` first; a missing file is an error naming REGENERATE_GOLDEN.
 */
export function goldenText(file: URL, actual: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  else if (!existsSync(file)) throw new Error(`golden file ${basename(fileURLToPath(file))} is missing (${fileURLToPath(file)}): run \`${REGENERATE_GOLDEN}\` to write it, then review it before committing`);
  return readFileSync(file, 'utf8');
}
