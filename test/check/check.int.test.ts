import { beforeAll, describe, expect, it } from 'vitest';
import { checksPassed, renderChecks, runChecks } from '../../src/check/index.ts';
import { etl, withWarehouse } from '../support/in-process.ts';
import { createDatabase, SAMPLE_DIR } from '../support/services.ts';

const ALL_CHECKS = [
  'songplays has rows',
  'users has rows',
  'songs has rows',
  'artists has rows',
  'time has rows',
  'stg_events has rows',
  'stg_songs has rows',
  'users.user_id unique and not null',
  'songs.song_id unique and not null',
  'artists.artist_id unique and not null',
  'time.start_time unique and not null',
  'songplays.songplay_id unique and not null',
  'songplays (session_id, item_in_session) unique and not null',
  'songplays.user_id in users',
  'songplays.start_time in time',
  'songplays.song_id in songs',
  'songplays.artist_id in artists',
  'staging reconciles with songplays',
  'rejects',
  'names without double-encoded UTF-8',
  'row counts match the ledger',
];

describe('sparkify check', () => {
  // A schema, so every check must name its tables through it.
  const flags = { schema: 'dq', songs: `${SAMPLE_DIR}song_data`, logs: `${SAMPLE_DIR}log_data` } as Record<string, string>;
  beforeAll(async () => {
    flags.target = await createDatabase('check');
    expect((await etl(flags)).status).toBe('ok');
  });
  const failing = async () => {
    const results = await withWarehouse(flags, (wh) => runChecks(wh));
    return { results, failed: results.filter((r) => !r.ok).map((r) => r.name), byName: new Map(results.map((r) => [r.name, r])) };
  };

  it('expects rows only where their source was loaded: a songs-only load passes, an empty star table after events fails', async () => {
    const songsOnly = { target: await createDatabase('check_songs'), songs: `${SAMPLE_DIR}song_data` } as Record<string, string>;
    expect((await etl(songsOnly)).status).toBe('ok');
    const results = await withWarehouse(songsOnly, (wh) => runChecks(wh));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.find((r) => r.name === 'songplays has rows')?.detail).toBe('0 rows (none expected: no staged NextSong events with a user)');
    await withWarehouse(flags, async (wh) => {
      const client = await wh.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`DELETE FROM ${wh.names.t('users')}`);
        const after = await runChecks(wh, client);
        expect(after.find((r) => r.name === 'users has rows')).toMatchObject({ ok: false, detail: '0 rows' });
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });
  });

  it('passes every check on the loaded sample, with the numbers', async () => {
    const { results, failed, byName } = await failing();
    expect(results.map((r) => r.name)).toEqual(ALL_CHECKS);
    expect(failed).toEqual([]);
    expect(checksPassed(results)).toBe(true);
    expect(byName.get('songplays has rows')!.detail).toBe('6820 rows');
    expect(byName.get('users.user_id unique and not null')!.detail).toBe('97 rows, enforced by a unique index on NOT NULL columns');
    expect(byName.get('songplays.song_id in songs')!.detail).toBe('0 of 1 songplay with a song_id not in songs');
    expect(byName.get('staging reconciles with songplays')!.detail).toBe('6820 NextSong events with a user id in stg_events (winning copies), 6820 songplays');
    expect(byName.get('rejects')!.detail).toBe('0 records rejected (etl_rejects is empty)');
    const text = renderChecks(results).split('\n');
    expect(text).toHaveLength(ALL_CHECKS.length);
    expect(text[0]).toBe('PASS songplays has rows — 6820 rows');
    // The real sample logs Björk as "BjÃ\u0083Â¶rk" (UTF-8 decoded twice, twice over): a warning, not a failure.
    expect(byName.get('names without double-encoded UTF-8')).toEqual({
      name: 'names without double-encoded UTF-8',
      ok: true,
      warning: true,
      detail: '195 distinct names look like UTF-8 decoded twice: stg_events.artist 82 (e.g. "Alceu ValenÃ\u0083Â§a"), stg_events.song 113 (e.g. "1865 (96Ã\u0082Âº In The Shade)"); the source has them so, fix them upstream',
    });
    for (const line of text) expect(line).toMatch(/^(PASS|WARN) \S.* — \S/);
    expect(text.filter((l) => l.startsWith('WARN'))).toEqual([expect.stringMatching(/^WARN names without double-encoded UTF-8 — 195 distinct names/)]);
    const bjork = await withWarehouse(flags, (wh) => wh.pool.query(`SELECT COUNT(*)::int AS n FROM ${wh.names.t('stg_events')} WHERE artist = 'Bj\u00c3\u0083\u00c2\u00b6rk'`));
    expect(bjork.rows[0].n).toBe(33);
  });

  it('fails the key and reference checks when a user row is duplicated and a needed time row deleted', async () => {
    await withWarehouse(flags, async (wh) => {
      const n = wh.names;
      // Postgres enforces the key; Redshift would not. Drop it to be where Redshift is.
      await wh.pool.query(`ALTER TABLE ${n.t('users')} DROP CONSTRAINT users_pkey`);
      await wh.pool.query(`INSERT INTO ${n.t('users')} SELECT * FROM ${n.t('users')} WHERE user_id = (SELECT MIN(user_id) FROM ${n.t('users')})`);
      const { rowCount } = await wh.pool.query(`DELETE FROM ${n.t('time')} WHERE start_time = (SELECT MIN(start_time) FROM ${n.t('songplays')})`);
      expect(rowCount).toBe(1);
    });
    const { results, failed, byName } = await failing();
    expect(failed).toEqual(['users.user_id unique and not null', 'songplays.start_time in time', 'row counts match the ledger']);
    expect(byName.get('row counts match the ledger')!.detail).toBe('users has 98 rows, the ledger says 97; time has 6812 rows, the ledger says 6813');
    expect(checksPassed(results)).toBe(false);
    expect(byName.get('users.user_id unique and not null')!.detail).toBe('98 rows, 0 with a null key, 1 duplicated key on 2 rows');
    expect(byName.get('songplays.start_time in time')!.detail).toMatch(/^[1-9]\d* of 6820 songplays not in time \(1 distinct value\)$/);
    expect(renderChecks(results)).toContain('FAIL users.user_id unique and not null — 98 rows, 0 with a null key, 1 duplicated key on 2 rows');
  });

  it('fails the fact key and the reconciliation when a songplay is duplicated; reports rejects without failing', async () => {
    await withWarehouse(flags, async (wh) => {
      const n = wh.names;
      const { rows } = await wh.pool.query(`SELECT conname FROM pg_constraint WHERE conrelid = '${n.t('songplays')}'::regclass AND contype = 'u'`);
      for (const r of rows) await wh.pool.query(`ALTER TABLE ${n.t('songplays')} DROP CONSTRAINT "${r.conname}"`);
      await wh.pool.query(`INSERT INTO ${n.t('songplays')} (start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent)
        SELECT start_time, user_id, level, song_id, artist_id, session_id, item_in_session, location, user_agent FROM ${n.t('songplays')} ORDER BY songplay_id LIMIT 1`);
      await wh.pool.query(`INSERT INTO ${n.t('etl_rejects')} (dataset, source_key, source_line, field, reason, raw_text, raw_escaped, raw_truncated, rejected_at)
        VALUES ('events', 'log_data/x.json', 3, 'ts', 'field "ts" must be an integer', '{}', false, false, now())`);
    });
    const { failed, byName } = await failing();
    expect(failed).toEqual(['users.user_id unique and not null', 'songplays (session_id, item_in_session) unique and not null', 'songplays.start_time in time', 'staging reconciles with songplays', 'row counts match the ledger']);
    expect(byName.get('staging reconciles with songplays')!.detail).toBe('6820 NextSong events with a user id in stg_events (winning copies), 6821 songplays');
    expect(byName.get('rejects')).toEqual({ name: 'rejects', ok: true, detail: '1 record rejected in etl_rejects (events 1, songs 0); see `sparkify status`' });
  });
});
