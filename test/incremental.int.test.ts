/**
 * SPEC §6 invariant, checked by replaying random sequences of bucket changes
 * (add a day, re-deliver a day with other content, add or change songs,
 * remove objects): after every incremental run, every star table equals,
 * row for row, a full load of the same bucket into a second, empty schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pg from 'pg';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createBucket, createDatabase, testS3Client } from './support/services.ts';
import { etl, useTestS3Credentials, withWarehouse } from './support/in-process.ts';
import { OWNED_TABLES } from '../src/ledger/names.ts';
import { createTables } from '../src/warehouse/tables.ts';
import { starTables } from './support/star-tables.ts';

type Op =
  | { kind: 'putDay'; day: number; seed: number }
  | { kind: 'putSong'; song: number; variant: number; copy: boolean }
  | { kind: 'removeDay'; day: number }
  | { kind: 'removeSong'; song: number; copy: boolean };

const SONGS = 10;
const DAYS = 4;

function songRecord(song: number, variant: number) {
  return {
    num_songs: 1,
    artist_id: `AR${song % 4}`,
    artist_latitude: variant === 2 ? null : 40 + song,
    artist_longitude: null,
    artist_location: variant === 2 ? '' : `City ${song % 4} v${variant}`,
    artist_name: `Artist ${song % 4}${variant === 1 ? ' feat. X' : ''}`,
    song_id: `SO${String(song).padStart(2, '0')}`,
    title: `Title ${song}${variant === 1 ? ' (live)' : ''}`,
    duration: 100 + song + (variant === 2 ? 0.5 : 0),
    year: variant === 1 ? 0 : 2000 + song,
  };
}

/** A small day of events; some sessions reuse another day's ids, so copies compete across objects, and some events come twice in the day. */
function dayEvents(day: number, seed: number): string {
  let x = (seed * 7919 + day * 104729) >>> 0;
  const rand = (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
  const lines: string[] = [];
  const sessions = 1 + rand(3);
  for (let s = 0; s < sessions; s++) {
    const sessionId = rand(5) === 0 ? ((day + 1) % DAYS) * 10 + s : day * 10 + s;
    const user = rand(6);
    const items = 2 + rand(5);
    for (let i = 0; i < items; i++) {
      const next = rand(10) < 7;
      const match = rand(10) < 6;
      const song = songRecord(rand(SONGS), rand(3));
      lines.push(
        JSON.stringify({
          artist: next ? (match ? song.artist_name : 'Nobody') : null,
          auth: user === 0 ? 'Logged Out' : 'Logged In',
          firstName: user === 0 ? null : `U${user}`,
          gender: user % 2 ? 'F' : 'M',
          itemInSession: i,
          lastName: user === 0 ? null : `L${user}-${rand(3)}`,
          length: next ? (match ? song.duration : 1.25) : null,
          level: rand(2) ? 'paid' : 'free',
          location: 'Somewhere, XX',
          method: next ? 'PUT' : 'GET',
          page: user === 0 ? 'Home' : next ? 'NextSong' : 'Home',
          registration: 1540000000000 + user,
          sessionId,
          song: next ? (match ? song.title : 'Unknown') : null,
          status: 200,
          ts: Date.UTC(2018, 10, day + 1) + s * 3_600_000 + i * 1000 + rand(3) * 1000,
          userAgent: '"UA"',
          userId: user === 0 ? '' : String(user),
        }),
      );
    }
  }
  // Now and then an event sent twice in one object, its later copy changed: the later line decides.
  if (rand(3) === 0) {
    const again = JSON.parse(lines[rand(lines.length)]) as Record<string, unknown>;
    lines.push(JSON.stringify({ ...again, page: again.page === 'NextSong' ? 'Home' : 'NextSong', level: again.level === 'paid' ? 'free' : 'paid' }));
  }
  return lines.join('\n');
}

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('putDay' as const), day: fc.nat(DAYS - 1), seed: fc.nat(1000) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('putSong' as const), song: fc.nat(SONGS - 1), variant: fc.nat(2), copy: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeDay' as const), day: fc.nat(DAYS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeSong' as const), song: fc.nat(SONGS - 1), copy: fc.boolean() }) },
);

const dayKey = (day: number) => `log_data/2018/11/2018-11-${String(day + 1).padStart(2, '0')}-events.json`;
// A second copy of a song sorts after the first: its version wins (greatest source_key).
const songKey = (song: number, copy: boolean) => `song_data/${copy ? 'Z' : 'A'}/TRSONG${String(song).padStart(2, '0')}.json`;

async function apply(s3: S3Client, bucket: string, o: Op): Promise<void> {
  switch (o.kind) {
    case 'putDay':
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: dayKey(o.day), Body: dayEvents(o.day, o.seed) }));
      return;
    case 'putSong':
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: songKey(o.song, o.copy), Body: JSON.stringify(songRecord(o.song, o.variant)) }));
      return;
    case 'removeDay':
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: dayKey(o.day) }));
      return;
    case 'removeSong':
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: songKey(o.song, o.copy) }));
  }
}

let url: string;
let client: pg.Client;
let s3: S3Client;

beforeAll(async () => {
  useTestS3Credentials();
  url = await createDatabase('incremental');
  client = new pg.Client({ connectionString: url });
  await client.connect();
  s3 = testS3Client();
});
afterAll(async () => {
  await client.end();
  s3.destroy();
});

/**
 * An empty schema for the reference load: every row of every table deleted, then
 * create-tables marks it, as a new schema, for a full build. The same state as dropping and
 * creating the tables (songplay_id, an identity, is not compared), without their DDL and file
 * churn on every step: the tables hold a few dozen rows.
 */
async function emptySchema(schema: string): Promise<void> {
  const { rows } = await client.query(`SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`, [schema]);
  if (rows[0].n > 0) await client.query(OWNED_TABLES.map((t) => `DELETE FROM "${schema}"."${t}"`).join('; '));
  await withWarehouse({ target: url, schema }, (wh) => createTables(wh));
}

describe('incremental runs equal a full load', () => {
  let incrementalSteps = 0;
  // Two halves of 25 sequences each, with their own seeds, run side by side: each step mostly
  // waits for Postgres and the S3 server, so the two overlap and the 50 sequences take half as long.
  describe.concurrent('after every step of 50 random sequences of bucket changes', () => {
    for (const [half, seed] of [[1, 20181101], [2, 20181102]] as const) {
      it(`sequences ${half === 1 ? '1–25' : '26–50'}`, async () => {
        let sequence = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(op, { minLength: 2, maxLength: 6 }), async (ops) => {
            sequence++;
            const id = `${half}_${sequence}`;
            const bucket = await createBucket(s3, `inc-${half}-${sequence}`);
            const inc = `inc_${id}`;
            const full = `full_${id}`;
            // A step may remove every day or every song: the bucket is then empty on purpose.
            const sources = { songs: `s3://${bucket}/song_data`, logs: `s3://${bucket}/log_data`, allowEmpty: true };
            // Start from a loaded state, as a daily run does.
            await apply(s3, bucket, { kind: 'putDay', day: 0, seed: sequence + (half - 1) * 1000 });
            await apply(s3, bucket, { kind: 'putSong', song: 1, variant: 0, copy: false });
            await etl({ target: url, schema: inc, ...sources });
            for (const o of ops) {
              await apply(s3, bucket, o);
              const run = await etl({ target: url, schema: inc, ...sources, prune: true });
              expect(run.status).toBe('ok');
              if (run.model?.mode === 'incremental') incrementalSteps++;
              await emptySchema(full);
              await etl({ target: url, schema: full, ...sources });
              const [a, b] = [await starTables(client, inc), await starTables(client, full)];
              expect(a, `after ${JSON.stringify(o)} in ${JSON.stringify(ops)}`).toEqual(b);
            }
            // Nothing changed since: a run stages nothing and leaves every table as it was.
            const before = await starTables(client, inc);
            const idle = await etl({ target: url, schema: inc, ...sources, prune: true });
            expect(idle).toMatchObject({ objects: { loaded: 0 }, records: { staged: 0 }, model: { mode: 'none' } });
            expect(await starTables(client, inc)).toEqual(before);
          }),
          { numRuns: 25, seed, endOnFailure: true },
        );
      }, 600_000);
    }
  });

  it('exercised the incremental path, not only full rebuilds', () => {
    expect(incrementalSteps).toBeGreaterThan(50);
  });
});
