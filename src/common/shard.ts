/**
 * Shards: `sparkify etl --shard I/N` stages the objects whose key hashes to I
 * of N, so that N processes (or machines) stage one load at once and
 * `sparkify model` builds the star schema once after them. The choice is a
 * pure function of the key and N: every machine agrees on it without talking
 * to the others, and a shard that is rerun picks exactly the same objects.
 */
import { createHash } from 'node:crypto';

/** One share of a load: objects whose key hashes to `index` of `count`. */
export interface Shard {
  /** 0 to count − 1 (as Kubernetes' JOB_COMPLETION_INDEX and AWS Batch's AWS_BATCH_JOB_ARRAY_INDEX count). */
  readonly index: number;
  readonly count: number;
}

/** Most shards of one load (the shard's name must fit the command column of the ledger's runs on Redshift, and nobody needs more). */
export const MAX_SHARDS = 1000;

/**
 * The shard that owns an object key, 0 to `count` − 1: the first four bytes
 * of the SHA-256 of the key's UTF-8 bytes, read as an unsigned big-endian
 * integer, modulo `count`. SHA-256 spreads similar keys (`…/TRAAAAW128F….json`)
 * evenly and is available everywhere, FIPS builds of Node included; 2^32
 * values make the modulo's bias negligible for any count up to MAX_SHARDS.
 */
export function shardOfKey(key: string, count: number): number {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, got ${count}`);
  if (count === 1) return 0;
  return createHash('sha256').update(key, 'utf8').digest().readUInt32BE(0) % count;
}

/** Whether `key` belongs to `shard` (every key belongs to exactly one shard of a count). */
export function inShard(key: string, shard: Shard): boolean {
  return shardOfKey(key, shard.count) === shard.index;
}

/** `I/N`, the way flags, logs and the ledger's runs name a shard. */
export function shardName(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/**
 * Parses `I/N` (`--shard 2/8`): integers with 0 ≤ I < N ≤ MAX_SHARDS. Returns
 * an error message naming `origin` instead of throwing, so that the caller
 * picks the error class (a flag is a usage error, a file a config error).
 */
export function parseShard(text: string, origin: string): Shard | string {
  const m = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  if (!m) return `${origin} must be I/N (shard I of N, counting from 0, e.g. 0/4), got ${JSON.stringify(text)}`;
  const count = parseShardCount(m[2], origin);
  if (typeof count === 'string') return count;
  return shardIndex(m[1], count, origin);
}

/** Parses a shard count N (`--shards`, `[ETL] SHARDS`): 1 ≤ N ≤ MAX_SHARDS. */
export function parseShardCount(text: string, origin: string): number | string {
  const n = /^\s*\d{1,6}\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SHARDS) return `${origin}: the shard count must be an integer from 1 to ${MAX_SHARDS}, got ${JSON.stringify(text)}`;
  return n;
}

/** A shard index I of `count` (a flag's, or a job index from the environment): 0 ≤ I < count. */
export function shardIndex(text: string, count: number, origin: string): Shard | string {
  const index = /^\s*\d{1,6}\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(index)) return `${origin} must be a shard index from 0 to ${count - 1}, got ${JSON.stringify(text)}`;
  if (index >= count) return `${origin} is shard ${index}, but there are ${count} shards (0 to ${count - 1})`;
  return { index, count };
}
