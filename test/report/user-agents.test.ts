import { describe, expect, it } from 'vitest';
import { agentFamily, summarizeAgents } from '../../src/report/user-agents.ts';
import { everyDay } from '../../src/report/run-report.ts';

describe('agentFamily', () => {
  it.each([
    ['"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"', 'Chrome', 'Windows', 'desktop'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.77.4 (KHTML, like Gecko) Version/7.0.5 Safari/537.77.4', 'Safari', 'macOS', 'desktop'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/36.0.1985.125 Chrome/36.0.1985.125 Safari/537.36', 'Chromium', 'Linux', 'desktop'],
    ['Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0)', 'Internet Explorer', 'Windows', 'desktop'],
    ['Mozilla/5.0 (iPad; CPU OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53', 'Safari', 'iOS', 'tablet'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0', 'Microsoft Edge', 'Windows', 'desktop'],
  ])('%s', (ua, browser, os, deviceType) => {
    expect(agentFamily(ua)).toEqual({ browser, os, deviceType });
  });

  it('calls missing, empty and unreadable agents unknown instead of throwing', () => {
    const unknown = { browser: 'unknown', os: 'unknown', deviceType: 'unknown' };
    expect(agentFamily(null)).toEqual(unknown);
    expect(agentFamily('')).toEqual(unknown);
    expect(agentFamily('""')).toEqual(unknown);
    expect(agentFamily('zzz')).toEqual(unknown);
  });
});

describe('summarizeAgents', () => {
  it('adds up plays per family, ranks them and gives shares', () => {
    const d = summarizeAgents([
      { userAgent: 'Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0 Safari/537.36', plays: 5 },
      { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0 Safari/537.36', plays: 3 },
      { userAgent: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0', plays: 4 },
      { userAgent: null, plays: 1 },
    ]);
    expect(d.agents).toBe(4);
    expect(d.browsers).toEqual([
      { name: 'Chrome', plays: 8, share: 61.5 },
      { name: 'Firefox', plays: 4, share: 30.8 },
      { name: 'unknown', plays: 1, share: 7.7 },
    ]);
    expect(d.os.map((o) => o.name)).toEqual(['Windows', 'Linux', 'macOS', 'unknown']);
    expect(summarizeAgents([])).toEqual({ agents: 0, browsers: [], os: [], deviceTypes: [] });
  });
});

describe('everyDay', () => {
  it('fills the days between the first and last with zeros', () => {
    expect(everyDay([{ day: '2018-11-30', users: 2, plays: 3 }, { day: '2018-12-02', users: 1, plays: 1 }])).toEqual([
      { day: '2018-11-30', users: 2, plays: 3 },
      { day: '2018-12-01', users: 0, plays: 0 },
      { day: '2018-12-02', users: 1, plays: 1 },
    ]);
    expect(everyDay([])).toEqual([]);
  });
});
