/**
 * How many worker threads encode rows (encode-pool.ts) when nobody says
 * (`--workers`, `[ETL] WORKERS`): the cores the warehouse connection does not
 * need. The main thread needs one (it reads objects, cuts them into pieces and
 * writes the COPY streams); a Postgres on this machine needs one per COPY
 * stream, whose server process turns rows into table pages. What is left
 * goes to workers, up to the number that keeps those COPY streams fed.
 */

export interface Machine {
  /** Cores this process may use (os.availableParallelism()). */
  cores: number;
  /** COPY streams in flight at once. */
  copyStreams: number;
  /** The Postgres server runs on this machine (embedded, or a local host), so its COPY work shares these cores. */
  warehouseHere: boolean;
}

/** Workers per COPY stream that keep it fed (measured: see README, Performance). */
const WORKERS_PER_STREAM = 2;

/** Worker threads for `machine`: 0 when no core is to spare (then the main thread encodes, as before). */
export function autoWorkers(machine: Machine): number {
  const spare = machine.cores - 1 - (machine.warehouseHere ? machine.copyStreams : 0);
  return Math.max(0, Math.min(spare, WORKERS_PER_STREAM * machine.copyStreams));
}

/** Whether a Postgres host name is this machine (a loopback address, localhost, or a Unix socket folder). */
export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === '' || h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h.startsWith('/');
}
