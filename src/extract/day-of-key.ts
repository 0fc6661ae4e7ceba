/**
 * The day a log object holds, read from its key: `…/YYYY/MM/YYYY-MM-DD-…`
 * (the Udacity layout) or `…/YYYY/MM/DD/…` (Hive/Firehose style).
 */
const DATE_IN_NAME = /(?:^|\/)(\d{4})-(\d{2})-(\d{2})(?=[^/]*$)/;
const DATE_IN_PATH = /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})\//;

/** `YYYY-MM-DD` or undefined when the key names no valid day. */
export function dayOfKey(key: string): string | undefined {
  const m = DATE_IN_NAME.exec(key) ?? DATE_IN_PATH.exec(key);
  if (!m) return undefined;
  const day = `${m[1]}-${m[2]}-${m[3]}`;
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== day ? undefined : day;
}

/** Whether a key's day is inside [since, until] (both inclusive, either open). */
export function inDayRange(key: string, since: string | undefined, until: string | undefined): boolean {
  if (!since && !until) return true;
  const day = dayOfKey(key);
  if (!day) return false;
  return (!since || day >= since) && (!until || day <= until);
}
