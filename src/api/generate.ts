/** `sparkify generate` as a function: the deterministic sample generator (generate/), its bad options a usage error. */
import { UsageError } from '../common/errors.ts';
import { generateSample, resolveOptions, type GenerateOptions, type GenerateSummary } from '../generate/index.ts';
import { apiCall } from './session.ts';

/** Writes a deterministic Udacity-format sample: `outDir/song_data` and `outDir/log_data`. */
export function generate(options: GenerateOptions): Promise<GenerateSummary> {
  return apiCall(async () => {
    try {
      resolveOptions(options);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err), { cause: err });
    }
    return generateSample(options);
  });
}
