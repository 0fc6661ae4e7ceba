import { beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml, renderReportText, runReport, type Report } from '../../src/report/index.ts';
import { createTables } from '../../src/warehouse/tables.ts';
import { etl, withWarehouse } from '../support/in-process.ts';
import { createDatabase, SAMPLE_DIR } from '../support/services.ts';
import { expectedAnswers } from './expected.ts';
import { NASTY_TITLE, writeHandmade } from './handmade.ts';

describe('sparkify report on the real sample', () => {
  const expected = expectedAnswers(`${SAMPLE_DIR}log_data`, `${SAMPLE_DIR}song_data`);
  let report: Report;
  beforeAll(async () => {
    const url = await createDatabase('report_sample');
    // A schema, so the runner's search_path handling is what makes the unqualified SQL work.
    const flags = { target: url, schema: 'analytics', songs: `${SAMPLE_DIR}song_data`, logs: `${SAMPLE_DIR}log_data` };
    const summary = await etl(flags);
    expect(summary.status).toBe('ok');
    report = await withWarehouse(flags, async (wh) => {
      const r = await runReport(wh);
      // The pooled client went back without our search_path.
      const { rows } = await wh.pool.query('SHOW search_path');
      expect(rows[0].search_path).not.toContain('analytics');
      return r;
    });
  });

  it('counts the plays and listeners the raw logs hold', () => {
    expect(report.schema).toBe('analytics');
    expect(report.overview.songplays).toBe(expected.plays);
    expect(report.overview.listeners).toBe(expected.listeners);
  });

  it('finds the top catalogue song and its play count', () => {
    expect(expected.topSong).toBeDefined(); // the sample has exactly one match
    expect(report.topSongs[0]).toMatchObject({ title: expected.topSong!.title, plays: expected.topSong!.plays });
    expect(report.overview.matchedSongplays).toBe(1);
  });

  it('finds the top song as logged', () => {
    expect(`${report.topSongsAsLogged[0].title} / ${report.topSongsAsLogged[0].artist}`).toBe(expected.topSongAsLogged[0]);
    expect(report.topSongsAsLogged[0].plays).toBe(expected.topSongAsLogged[1]);
  });

  it('finds the busiest hour (UTC) and every hour, weekday and weekday × hour count', () => {
    const busiest = report.playsByHour.reduce((a, b) => (b.plays > a.plays ? b : a));
    expect(busiest.hour).toBe(expected.busiestHour);
    expect(report.playsByHour.map((h) => h.plays)).toEqual(expected.hours);
    expect(report.playsByWeekday.map((w) => w.plays)).toEqual(expected.weekdays);
    expect(report.playsByWeekday[0].name).toBe('Sunday');
    expect(report.hourByWeekday.plays).toEqual(expected.matrix);
  });

  it('counts users who changed level, upgraded and downgraded', () => {
    expect(expected.levelChanges.changed).toBeGreaterThan(0);
    expect(report.levelChanges).toMatchObject(expected.levelChanges);
    expect(report.levelChanges.users).toHaveLength(Math.min(expected.levelChanges.changed, 20));
  });

  it('counts daily active users of a chosen day, and fills the whole month', () => {
    const day = report.dailyActiveUsers.find((d) => d.day === '2018-11-15');
    expect(day?.users).toBe(expected.dailyActiveUsers('2018-11-15'));
    expect(day?.users).toBeGreaterThan(0);
    expect(report.dailyActiveUsers.map((d) => d.day)).toEqual(Array.from({ length: 30 }, (_, i) => `2018-11-${String(i + 1).padStart(2, '0')}`));
    for (const d of report.dailyActiveUsers) expect(d.users).toBe(expected.dailyActiveUsers(d.day));
  });

  it('splits plays into free and paid', () => {
    const plays = Object.fromEntries(report.levels.map((l) => [l.level, l.plays]));
    expect(plays).toEqual(expected.levels);
    expect(plays.paid).toBe(5591); // SPEC §5
  });

  it('finds the busiest location, the session length and every play in the device counts', () => {
    expect([report.topLocations[0].location, report.topLocations[0].plays]).toEqual(expected.topLocation);
    expect(report.sessions.sessions).toBe(expected.sessions);
    expect(report.sessions.avgSongs).toBe(expected.avgSessionSongs);
    const sum = (xs: { plays: number }[]) => xs.reduce((a, b) => a + b.plays, 0);
    expect(sum(report.devices.browsers)).toBe(expected.plays);
    expect(sum(report.devices.os)).toBe(expected.plays);
    expect(report.devices.browsers.map((b) => b.name)).toContain('Chrome');
    expect(report.devices.browsers.map((b) => b.name)).not.toContain('unknown');
  });

  it('renders aligned text with numbers right-aligned', () => {
    const text = renderReportText(report);
    expect(text).toContain(`${expected.plays} songplays by ${expected.listeners} listeners`);
    const hourLines = text.split('\n\n').find((s) => s.startsWith('Plays by hour'))!.split('\n').slice(3);
    expect(hourLines).toHaveLength(24);
    const widths = new Set(hourLines.map((l) => l.length));
    expect(widths.size).toBe(1); // right-aligned numbers end in one column
    expect(JSON.parse(JSON.stringify(report))).toEqual(report); // --json prints it as is
  });
});

describe('sparkify report on a hand-made set where plays match catalogue songs', () => {
  let report: Report;
  beforeAll(async () => {
    const url = await createDatabase('report_handmade');
    const dirs = await writeHandmade();
    expect((await etl({ target: url, ...dirs })).status).toBe('ok');
    report = await withWarehouse({ target: url }, (wh) => runReport(wh));
  });

  it('ranks songs and artists by plays, counting a re-delivered event once', () => {
    expect(report.topSongs).toEqual([
      { songId: 'SOAAA', title: 'Alpha', artist: 'Xylo', plays: 3 },
      { songId: 'SOBBB', title: NASTY_TITLE, artist: 'Xylo', plays: 2 },
      { songId: 'SOCCC', title: 'Gamma', artist: 'Yodel & Co', plays: 1 },
    ]);
    expect(report.topArtists).toEqual([
      { artistId: 'ARX', artist: 'Xylo', plays: 5, songs: 2 },
      { artistId: 'ARY', artist: 'Yodel & Co', plays: 1, songs: 1 },
    ]);
    expect(report.topSongsAsLogged.map((s) => [s.title, s.plays])).toEqual([['Alpha', 3], [NASTY_TITLE, 2], ['Gamma', 1]]);
    expect(report.overview).toMatchObject({ songplays: 6, listeners: 2, matchedSongplays: 6 });
  });

  it('sees the upgrade and the downgrade in order', () => {
    expect(report.levelChanges).toMatchObject({ listeners: 2, changed: 1, upgraded: 1, downgraded: 1, upgrades: 1, downgrades: 1 });
    expect(report.levelChanges.users).toEqual([{ userId: 1, firstName: 'First1', lastName: 'Last1', upgrades: 1, downgrades: 1, currentLevel: 'free' }]);
    expect(report.levels).toEqual([
      { level: 'free', plays: 3, users: 1 },
      { level: 'paid', plays: 3, users: 2 },
    ]);
  });

  it('parses browsers, systems and device types from user agents', () => {
    expect(report.devices.browsers.map((b) => [b.name, b.plays])).toEqual([['Chrome', 3], ['Firefox', 2], ['Safari', 1]]);
    expect(report.devices.os.map((b) => [b.name, b.plays])).toEqual([['Windows', 3], ['Linux', 2], ['iOS', 1]]);
    expect(report.devices.deviceTypes.map((b) => [b.name, b.plays])).toEqual([['desktop', 5], ['mobile', 1]]);
    expect(report.devices.browsers[0].share).toBe(50);
  });

  it('counts sessions per user and days', () => {
    expect(report.sessions).toEqual({ sessions: 3, songplays: 6, avgSongs: 2, maxSongs: 3 });
    expect(report.dailyActiveUsers).toEqual([
      { day: '2018-11-05', users: 2, plays: 5 },
      { day: '2018-11-06', users: 1, plays: 1 },
    ]);
    expect(report.playsByWeekday[1]).toEqual({ weekday: 1, name: 'Monday', plays: 5, users: 2 });
    expect(report.hourByWeekday.plays[1][10]).toBe(3); // user 1 at 10:00, 10:04, 10:09
    expect(report.hourByWeekday.plays[1][11]).toBe(2); // user 2 at 11:00, 11:04
  });
});

describe('sparkify report on empty tables', () => {
  it('answers with zeros and renders without charts of nothing', async () => {
    const url = await createDatabase('report_empty');
    const report = await withWarehouse({ target: url }, async (wh) => {
      await createTables(wh);
      return runReport(wh);
    });
    expect(report.overview).toMatchObject({ songplays: 0, listeners: 0, firstPlay: null, lastPlay: null });
    expect(report.playsByHour).toHaveLength(24);
    expect(report.playsByHour.every((h) => h.plays === 0)).toBe(true);
    expect(report.dailyActiveUsers).toEqual([]);
    expect(report.sessions).toEqual({ sessions: 0, songplays: 0, avgSongs: null, maxSongs: null });
    expect(report.levelChanges).toMatchObject({ listeners: 0, changed: 0, users: [] });
    expect(renderReportText(report)).toContain('no songplays yet');
    const html = renderReportHtml(report);
    expect(html).toContain('No songplay matched a catalogue song.');
    expect(html).not.toContain('data-chart="top-songs"');
  });
});
