/**
 * A user's row comes from their latest event (SPEC §4). A daily run keeps
 * each user's latest event in etl_user_latest and compares it with the
 * user's new events; when the object that held it is delivered again or
 * pruned, the answer may lie in an object the run did not touch. Each case
 * changes one object, checks the user's level after the daily run, and
 * checks that a full refresh agrees.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase } from '../support/services.ts';
import { etl } from '../support/in-process.ts';

const DAY_MS = 86_400_000;
const NOV_1 = Date.UTC(2018, 10, 1);

/** An event of user `user` on day `day` of November 2018, `minute` minutes past midnight. */
function event(user: number, day: number, minute: number, level: 'free' | 'paid', sessionId: number, item = 0): string {
  return JSON.stringify({
    artist: 'Nobody',
    auth: 'Logged In',
    firstName: `First${user}`,
    gender: 'F',
    itemInSession: item,
    lastName: `Last${user}`,
    length: 200.5,
    level,
    location: 'Somewhere, CA',
    method: 'PUT',
    page: 'NextSong',
    registration: 1540000000000,
    sessionId,
    song: 'Nothing',
    status: 200,
    ts: NOV_1 + (day - 1) * DAY_MS + minute * 60_000,
    userAgent: 'Mozilla/5.0',
    userId: String(user),
  });
}

describe("users' latest event in daily runs", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparkify-users-latest-'));
  const days = join(dir, 'log_data', '2018', '11');
  const dayFile = (day: number) => join(days, `2018-11-0${day}-events.json`);
  const write = (day: number, lines: string[]) => writeFileSync(dayFile(day), lines.join('\n') + '\n');
  const flags: Record<string, string | boolean> = { songs: join(dir, 'song_data'), logs: join(dir, 'log_data'), prune: true };
  let db: pg.Client;

  const levelOf = async (user: number) => (await db.query('SELECT level FROM users WHERE user_id = $1', [user])).rows[0]?.level as string | undefined;
  /** A daily run, the user's level after it, then a full refresh that must agree. */
  async function daily(user: number): Promise<string | undefined> {
    const run = await etl(flags);
    expect(run.status).toBe('ok');
    expect(run.model?.mode).toBe('incremental');
    const after = await levelOf(user);
    const all = await db.query('SELECT user_id, first_name, last_name, gender, level FROM users ORDER BY user_id');
    expect((await etl({ ...flags, fullRefresh: true })).status).toBe('ok');
    expect(await levelOf(user)).toBe(after);
    expect((await db.query('SELECT user_id, first_name, last_name, gender, level FROM users ORDER BY user_id')).rows).toEqual(all.rows);
    return after;
  }

  beforeAll(async () => {
    mkdirSync(join(dir, 'song_data'), { recursive: true });
    writeFileSync(
      join(dir, 'song_data', 'SONG1.json'),
      JSON.stringify({ num_songs: 1, artist_id: 'ARTEST00000000001', artist_latitude: null, artist_longitude: null, artist_location: '', artist_name: 'Nobody', song_id: 'SOTEST00000000001', title: 'Nothing', duration: 200.5, year: 0 }),
    );
    mkdirSync(days, { recursive: true });
    // User 7: paid on day 1 at 03:00, free on day 2 at 05:00 (their latest). Users 8 and 9 keep the days busy.
    write(1, [event(7, 1, 180, 'paid', 101), event(8, 1, 10, 'free', 102), event(9, 1, 20, 'paid', 103)]);
    write(2, [event(7, 2, 300, 'free', 201), event(8, 2, 10, 'paid', 202)]);
    write(3, [event(9, 3, 30, 'free', 301), event(8, 3, 40, 'free', 302)]);
    flags.target = await createDatabase('users_latest');
    const first = await etl(flags);
    expect(first.status).toBe('ok');
    db = new pg.Client({ connectionString: flags.target as string });
    await db.connect();
    expect(await levelOf(7)).toBe('free');
    return () => db.end();
  });

  it('a day delivered again with the same latest event keeps it', async () => {
    write(2, [event(7, 2, 300, 'free', 201), event(8, 2, 10, 'paid', 202), event(8, 2, 11, 'paid', 202, 1)]);
    expect(await daily(7)).toBe('free');
  });

  it('a day delivered again without the latest event falls back to the latest of the other days', async () => {
    // Day 2 now holds only an event of user 7 earlier than day 1's: day 1's (paid) is the latest.
    write(2, [event(7, 1, 100, 'free', 203), event(8, 2, 10, 'paid', 202)]);
    expect(await daily(7)).toBe('paid');
  });

  it('a day delivered again with a later event takes it', async () => {
    write(2, [event(7, 1, 100, 'free', 203), event(7, 2, 400, 'free', 204), event(8, 2, 10, 'paid', 202)]);
    expect(await daily(7)).toBe('free');
  });

  it('a day delivered again whose events all come before the latest keeps the latest', async () => {
    write(1, [event(7, 1, 60, 'paid', 101), event(8, 1, 10, 'free', 102), event(9, 1, 20, 'paid', 103)]);
    expect(await daily(7)).toBe('free');
  });

  it('a pruned day takes its latest events with it', async () => {
    write(3, [event(9, 3, 30, 'free', 301), event(7, 3, 50, 'paid', 303)]);
    expect(await daily(7)).toBe('paid');
    rmSync(dayFile(3));
    expect(await daily(7)).toBe('free');
    expect(await levelOf(9)).toBe('paid');
  });
});
