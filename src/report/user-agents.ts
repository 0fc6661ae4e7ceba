/**
 * Browser, operating system and device type of songplays, from their user
 * agent strings. Parsing is bowser's job (a maintained parser that knows the
 * quirks: Edge and Opera claiming Chrome, Chrome claiming Safari, iPads
 * claiming Macs…); this module only adds up plays per parsed family.
 */
import Bowser from 'bowser';
import type { Devices, NamedPlays } from './types.ts';

/** What the user agent query returns: one row per distinct agent. */
export interface AgentPlays {
  userAgent: string | null;
  plays: number;
}

export interface AgentFamily {
  browser: string;
  os: string;
  deviceType: string;
}

const UNKNOWN = 'unknown';

/** Parses one agent. Eventsim writes some agents wrapped in double quotes; they are stripped first. */
export function agentFamily(userAgent: string | null): AgentFamily {
  const ua = (userAgent ?? '').trim().replace(/^"(.*)"$/s, '$1').trim();
  // bowser throws on an empty agent; an empty or missing agent is simply unknown.
  if (ua === '') return { browser: UNKNOWN, os: UNKNOWN, deviceType: UNKNOWN };
  const parsed = Bowser.parse(ua);
  return {
    browser: parsed.browser.name || UNKNOWN,
    os: parsed.os.name || UNKNOWN,
    deviceType: parsed.platform.type || UNKNOWN,
  };
}

/** Adds up plays per browser, OS and device type; lists are sorted by plays, then name. */
export function summarizeAgents(rows: readonly AgentPlays[]): Devices {
  const browsers = new Map<string, number>();
  const os = new Map<string, number>();
  const deviceTypes = new Map<string, number>();
  let total = 0;
  for (const row of rows) {
    const family = agentFamily(row.userAgent);
    add(browsers, family.browser, row.plays);
    add(os, family.os, row.plays);
    add(deviceTypes, family.deviceType, row.plays);
    total += row.plays;
  }
  return { agents: rows.length, browsers: ranked(browsers, total), os: ranked(os, total), deviceTypes: ranked(deviceTypes, total) };
}

function add(m: Map<string, number>, key: string, n: number): void {
  m.set(key, (m.get(key) ?? 0) + n);
}

function ranked(m: Map<string, number>, total: number): NamedPlays[] {
  return [...m]
    .map(([name, plays]) => ({ name, plays, share: total > 0 ? Math.round((plays / total) * 1000) / 10 : 0 }))
    .sort((a, b) => b.plays - a.plays || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
