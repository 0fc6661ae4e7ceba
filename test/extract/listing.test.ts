/**
 * Streaming listings: the read-ahead stays within its bound, passes errors on
 * after the items before them and closes its source when the consumer stops;
 * a folder is listed in key order without being read whole first; the events
 * of a run wait only until it is known whether the run is a bulk load.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAhead } from '../../src/extract/read-ahead.ts';
import { Listing } from '../../src/extract/listing.ts';
import { keyFilter } from '../../src/extract/key-filter.ts';
import { localSource } from '../../src/extract/local-source.ts';
import type { Source, SourceObject } from '../../src/extract/source.ts';
import { holdUntilBulkKnown } from '../../src/stage/bulk-gate.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** 0, 1, 2, …: counts how far it was pulled, and whether it was closed. */
function counter(n: number, failAt?: number) {
  const state = { pulled: 0, closed: false };
  async function* items() {
    try {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error(`page ${i} failed`);
        state.pulled++;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, items: items() };
}

describe('read-ahead', () => {
  it('pulls ahead of a slow consumer by at most its bound, and yields everything in order', async () => {
    const { state, items } = counter(100);
    const out: number[] = [];
    for await (const i of readAhead(items, 10)) {
      out.push(i);
      await tick();
      await tick();
      expect(state.pulled - out.length).toBeLessThanOrEqual(10 + 1);
    }
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('throws the source error after the items before it', async () => {
    const { items } = counter(10, 5);
    const out: number[] = [];
    await expect((async () => {
      for await (const i of readAhead(items, 3)) out.push(i);
    })()).rejects.toThrow('page 5 failed');
    expect(out).toEqual([0, 1, 2, 3, 4]);
  });

  it('closes the source when the consumer stops early', async () => {
    const { state, items } = counter(1_000_000);
    for await (const i of readAhead(items, 50)) if (i === 3) break;
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThan(60);
  });
});

describe('a listing', () => {
  const source = (keys: string[]): Source => ({
    dataset: 'songs',
    description: 's3://b/p/',
    keyPrefix: 'p/',
    async *list() {
      for (const key of keys) yield { dataset: 'songs', key, size: 1, fingerprint: 'e' };
    },
    open: () => Promise.reject(new Error('not here')),
  });

  it('counts what the filters skip, keeps three of their keys, and says whether anything is left to read', async () => {
    const keys = ['p/a.json', 'p/b.csv', 'p/c.txt', 'p/d.json', 'p/e.csv', 'p/f.csv'];
    const listing = new Listing(source(keys), keyFilter([]));
    expect(await listing.first()).toBe(true);
    const read: string[] = [];
    for await (const o of listing) read.push(o.key);
    expect(read).toEqual(['p/a.json', 'p/d.json']);
    expect(listing).toMatchObject({ listed: 2, excluded: 4, excludedSample: ['p/b.csv', 'p/c.txt', 'p/e.csv'], complete: true });
    const nothing = new Listing(source(['p/x.csv']), keyFilter([]));
    expect(await nothing.first()).toBe(false);
    expect(nothing).toMatchObject({ listed: 0, excluded: 1, complete: true });
  });
});

describe('a folder listing', () => {
  // Names around '/' in code-unit order ('-' and '.' sort before it, letters and digits after).
  const name = fc.constantFrom('a', 'a-b', 'a.b', 'a0', 'ab', 'b', 'a_', 'é', '-', 'a b');
  type Tree = { [name: string]: Tree | null };
  const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
    tree: fc.dictionary(name, fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant(null), tie('tree')), { maxKeys: 5 }),
  })).tree;

  it('yields every key in sorted order, one folder at a time', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (t) => {
        const root = join(mkdtempSync(join(tmpdir(), 'sparkify-order-')), 'logs');
        const keys: string[] = [];
        const write = (dir: string, node: Tree, prefix: string) => {
          mkdirSync(dir, { recursive: true });
          for (const [n, child] of Object.entries(node)) {
            if (child === null) {
              writeFileSync(join(dir, `${n}.json`), '{}');
              keys.push(`${prefix}${n}.json`);
            } else write(join(dir, n), child, `${prefix}${n}/`);
          }
        };
        write(root, t, 'logs/');
        const listed: string[] = [];
        for await (const o of localSource('events', root).list()) listed.push(o.key);
        expect(listed).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }),
      { numRuns: 60 },
    );
  });
});

describe('events held until the run knows whether it is a bulk load', () => {
  const obj = (key: string, dataset: 'events' | 'songs', size: number): SourceObject => ({ key, dataset, size, fingerprint: 'e' });
  async function* of(objects: SourceObject[], seen: string[]) {
    for (const o of objects) {
      seen.push(o.key);
      yield o;
    }
  }

  it('passes the songs at once, and the events once their bytes reach the threshold', async () => {
    const listed = [obj('s1', 'songs', 1), obj('s2', 'songs', 1), obj('e1', 'events', 40), obj('e2', 'events', 40), obj('e3', 'events', 40), obj('e4', 'events', 40)];
    const seen: string[] = [];
    const decisions: [boolean, number, number][] = [];
    const out: string[] = [];
    for await (const o of holdUntilBulkKnown(of(listed, seen), 100, async (bulk, bytes) => {
      decisions.push([bulk, bytes, seen.length]);
    })) out.push(`${o.key}@${seen.length}`);
    // s1 and s2 go before any event is listed; e1–e3 wait for the decision, taken when e3 is listed.
    expect(out).toEqual(['s1@1', 's2@2', 'e1@5', 'e2@5', 'e3@5', 'e4@6']);
    expect(decisions).toEqual([[true, 120, 5]]);
  });

  it('decides "not bulk" at the end when the events stay below it, and passes them then', async () => {
    const seen: string[] = [];
    const decisions: boolean[] = [];
    const out: string[] = [];
    for await (const o of holdUntilBulkKnown(of([obj('e1', 'events', 10), obj('s1', 'songs', 1000), obj('e2', 'events', 10)], seen), 100, async (bulk) => {
      decisions.push(bulk);
    })) out.push(o.key);
    expect(out).toEqual(['e1', 's1', 'e2']);
    expect(decisions).toEqual([false]);
    // No events at all: still decided once (the indexes a died bulk run dropped come back).
    const none: boolean[] = [];
    for await (const _ of holdUntilBulkKnown(of([obj('s1', 'songs', 1)], []), 100, async (bulk) => {
      none.push(bulk);
    }));
    expect(none).toEqual([false]);
  });
});
