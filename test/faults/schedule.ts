/**
 * The seeded fault schedule both proxies consult. A decision depends only on
 * the seed, the key (an S3 object key, a listing, or the first object of a
 * COPY) and how many times that key was asked about before, so the same seed
 * gives the same faults for each key whatever order concurrent requests
 * arrive in. Faults per key are capped (S3 and Postgres separately) so that
 * their sum stays below the loader's retry budget: the data can always get
 * through, but only if the loader retries.
 */

export const S3_FAULTS = ['s3-503', 's3-500', 'reset-before', 'reset-mid-body', 'stall'] as const;
export type S3Fault = (typeof S3_FAULTS)[number];
export type FaultKind = S3Fault | 'pg-terminate';
export const FAULT_KINDS: readonly FaultKind[] = [...S3_FAULTS, 'pg-terminate'];

export interface ScheduleOptions {
  seed: number;
  /** S3 requests: chance that a request for a key still under its cap gets a fault, the cap, and the weights of the kinds (default 1). */
  s3: { rate: number; capPerKey: number; weights?: Partial<Record<S3Fault, number>> };
  /** COPYs, keyed by their first object: chance of a kill, and the most kills per key. */
  pg: { rate: number; capPerKey: number };
}

export class FaultSchedule {
  readonly counts: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  /** Decisions made and faults injected, by `scope:key`. */
  private readonly asked = new Map<string, number>();
  private readonly faulted = new Map<string, number>();
  private readonly options: ScheduleOptions;

  constructor(options: ScheduleOptions) {
    this.options = options;
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  /** The PRNG of the next decision for `key`, or undefined when the key is at its cap or passes this time. */
  private roll(scope: 's3' | 'pg', key: string): (() => number) | undefined {
    const id = `${scope}:${key}`;
    const n = this.asked.get(id) ?? 0;
    this.asked.set(id, n + 1);
    const { rate, capPerKey } = this.options[scope];
    if ((this.faulted.get(id) ?? 0) >= capPerKey) return undefined;
    const rand = mulberry32(hashString(`${this.options.seed}|${id}|${n}`));
    return rand() < rate ? rand : undefined;
  }

  /**
   * Which S3 fault (if any) the next request for `key` gets, and where in the
   * body (a fraction) a mid-body fault cuts it; `allowed` limits the kinds.
   */
  s3(key: string, allowed: readonly S3Fault[] = S3_FAULTS): { kind: S3Fault; at: number } | undefined {
    const rand = this.roll('s3', key);
    if (!rand) return undefined;
    const weights = allowed.map((k) => this.options.s3.weights?.[k] ?? 1);
    let x = rand() * weights.reduce((a, b) => a + b, 0);
    let kind = allowed[allowed.length - 1];
    for (let i = 0; i < allowed.length; i++) {
      x -= weights[i];
      if (x < 0) {
        kind = allowed[i];
        break;
      }
    }
    return { kind, at: rand() };
  }

  /** For the next COPY whose first row belongs to `key`: after which CopyData message (1-based) to kill it, if at all. */
  pgKillAfter(key: string, maxMessage = 3): number | undefined {
    const rand = this.roll('pg', key);
    return rand ? 1 + Math.floor(rand() * maxMessage) : undefined;
  }

  /** Counts a fault that was actually injected (it then counts against the key's cap). */
  injected(kind: FaultKind, key: string): void {
    this.counts[kind]++;
    const id = `${kind === 'pg-terminate' ? 'pg' : 's3'}:${key}`;
    this.faulted.set(id, (this.faulted.get(id) ?? 0) + 1);
  }

  /** `s3-503 a, s3-500 b, …` */
  describe(): string {
    return FAULT_KINDS.map((k) => `${k} ${this.counts[k]}`).join(', ');
  }
}

/** FNV-1a over UTF-16 code units. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A small seeded PRNG (mulberry32): numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
