/**
 * Facts about this machine that config needs, pure so that config may use
 * them without importing a stage. How many worker threads encode rows
 * (stage/encode-pool.ts) when nobody says
 * (`--workers`, `[ETL] WORKERS`): the cores the warehouse connection does not
 * need. It needs one for the main thread (which reads objects, cuts them into
 * pieces and writes the COPY streams) and, when the Postgres server runs on
 * this machine, one per COPY stream (the server process that turns rows into
 * table pages). Measured per million events on 2 cores: staging alone, the
 * main thread takes 2.15 CPU-seconds; with workers it keeps 0.8 and they take
 * about 2.1; a COPY stream's server process takes 1.8–2.4.
 *
 * - On fewer than 3 cores, or with no core to spare: none (then the main
 *   thread encodes, as without workers; on 2 cores workers only made the
 *   same load cost 14–30% more CPU, no faster, in paired runs);
 * - else at least 2 (one worker only moves the encoding to a thread that is
 *   no faster), and at most 2 per COPY stream (2 already encode about as fast
 *   as a local server's 2 streams take rows; the rest is headroom for a faster
 *   server, at ~28 MB of memory each).
 */

export interface Machine {
  /** Cores this process may use (os.availableParallelism()). */
  cores: number;
  /** COPY streams in flight at once. */
  copyStreams: number;
  /** The Postgres server runs on this machine (embedded, or a local host), so its COPY work shares these cores. */
  warehouseHere: boolean;
}

/** Worker threads for `machine` (0: the main thread encodes). */
export function autoWorkers(machine: Machine): number {
  const spare = machine.cores - 1 - (machine.warehouseHere ? machine.copyStreams : 0);
  if (machine.cores < 3 || spare < 1) return 0;
  return Math.min(2 * machine.copyStreams, Math.max(2, spare));
}

/** Whether a Postgres host name is this machine (a loopback address, localhost, or a Unix socket folder). */
export function isLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === '' || h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h.startsWith('/');
}
