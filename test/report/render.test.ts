import { describe, expect, it } from 'vitest';
import { escapeHtml, renderReportHtml } from '../../src/report/render-html.ts';
import { renderReportText } from '../../src/report/render-text.ts';
import { WEEKDAYS } from '../../src/report/run-report.ts';
import type { Report } from '../../src/report/types.ts';

function report(over: Partial<Report> = {}): Report {
  return {
    generatedAt: '2020-01-01T00:00:00.000Z',
    schema: null,
    overview: { songplays: 3, listeners: 1, users: 1, songs: 1, artists: 1, matchedSongplays: 3, firstPlay: '2018-11-01 00:00:00', lastPlay: '2018-11-01 01:00:00' },
    topSongs: [],
    topArtists: [],
    topSongsAsLogged: [],
    playsByHour: Array.from({ length: 24 }, (_, hour) => ({ hour, plays: hour === 0 ? 3 : 0 })),
    playsByWeekday: WEEKDAYS.map((name, weekday) => ({ weekday, name, plays: weekday === 4 ? 3 : 0, users: weekday === 4 ? 1 : 0 })),
    hourByWeekday: { weekdays: [...WEEKDAYS], hours: Array.from({ length: 24 }, (_, h) => h), plays: WEEKDAYS.map((_, w) => Array.from({ length: 24 }, (_, h) => (w === 4 && h === 0 ? 3 : 0))) },
    levels: [{ level: 'free', plays: 3, users: 1 }],
    levelChanges: { listeners: 1, changed: 0, upgraded: 0, downgraded: 0, upgrades: 0, downgrades: 0, users: [] },
    topLocations: [],
    devices: { agents: 0, browsers: [], os: [], deviceTypes: [] },
    dailyActiveUsers: [{ day: '2018-11-01', users: 1, plays: 3 }],
    sessions: { sessions: 1, songplays: 3, avgSongs: 3, maxSongs: 3 },
    ...over,
  };
}

describe('renderReportText', () => {
  it('keeps control characters from driving the terminal and cuts long titles', () => {
    const text = renderReportText(
      report({ topSongs: [{ songId: 'S1', title: `evil\u001b[2J${'x'.repeat(80)}`, artist: 'tab\there', plays: 3 }] }),
    );
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(text).toContain('evil\uFFFD[2J');
    expect(text).toContain('tab\uFFFDhere');
    const line = text.split('\n').find((l) => l.includes('evil'))!;
    expect(line).toContain('…');
    expect([...line.split('  ').find((c) => c.startsWith('evil'))!].length).toBe(48);
  });

  it('right-aligns numbers and shares', () => {
    const text = renderReportText(report({ devices: { agents: 2, browsers: [{ name: 'Chrome', plays: 1000, share: 99.9 }, { name: 'Safari', plays: 1, share: 0.1 }], os: [], deviceTypes: [] } }));
    expect(text).toContain('  Chrome    1000   99.9\n  Safari       1    0.1');
  });
});

describe('renderReportHtml', () => {
  it('escapes everything that reaches the page', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = renderReportHtml(report({ schema: '<s>', topLocations: [{ location: '<img src=x onerror=alert(1)>', plays: 3, users: 1 }] }));
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<s>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('draws the charts it has data for, and says so for the others', () => {
    const html = renderReportHtml(report());
    const charts = [...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);
    expect(charts).toEqual(['hour-by-weekday', 'plays-by-hour', 'plays-by-weekday', 'levels', 'daily-active-users']);
    expect(html).toContain('No songplay matched a catalogue song.');
    for (const svg of html.match(/<svg[\s\S]*?<\/svg>/g)!) expect(svg).toMatch(/<(?:path|rect)\b/);
  });
});
