/** The rule for the number of worker threads, and what counts as a Postgres on this machine. */
import { describe, expect, it } from 'vitest';
import { autoWorkers, isLocalHost } from '../../src/common/machine.ts';

describe('worker threads by default', () => {
  it('are the cores left by the main thread and by the COPY streams of a local server: none on 2 cores, else 2 to 2 per stream', () => {
    const local = (cores: number, copyStreams = 2) => autoWorkers({ cores, copyStreams, warehouseHere: true });
    const remote = (cores: number, copyStreams = 2) => autoWorkers({ cores, copyStreams, warehouseHere: false });
    expect([1, 2, 3, 4, 5, 6, 7, 8, 16, 64].map((c) => local(c))).toEqual([0, 0, 0, 2, 2, 3, 4, 4, 4, 4]);
    expect([1, 2, 3, 4, 5, 8, 16].map((c) => remote(c))).toEqual([0, 0, 2, 3, 4, 4, 4]);
    expect([2, 3, 4, 8].map((c) => local(c, 1))).toEqual([0, 2, 2, 2]);
  });

  it('know a local host', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '/var/run/postgresql', 'db.localhost', 'LOCALHOST']) expect(isLocalHost(h), h).toBe(true);
    for (const h of ['db.example.com', '10.0.0.5', '128.0.0.1', 'localhost.example.com', 'x.redshift.amazonaws.com']) expect(isLocalHost(h), h).toBe(false);
  });
});
