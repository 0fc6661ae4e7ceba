/**
 * DATEFORMAT / TIMEFORMAT for COPY: the defaults (`YYYY-MM-DD`,
 * `YYYY-MM-DD HH:MI:SS`, `…SSOF` for TIMESTAMPTZ), format strings built from
 * YYYY MM DD HH24 HH12 HH MI SS AM/PM OF and literals, `'auto'`, and the
 * case-sensitive `'epochsecs'` / `'epochmillisecs'`. Values come out as
 * Postgres ISO text. TIMESTAMP (without zone) ignores a zone in the input, as
 * Redshift does. [REDSHIFT-FACTS §1 "Dates and times", §2 "Epoch TIMEFORMAT"]
 */

export type DateTimeKind = 'date' | 'timestamp' | 'timestamptz';

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  micros: number;
  /** Offset east of UTC, in minutes, when the input had one. */
  offset?: number;
}

export interface DateTimeReader {
  /** Format label for error messages, as Redshift prints it. */
  label: string;
  /** Postgres text for the value, or undefined when it does not match. */
  parse(text: string): string | undefined;
  /** Epoch formats read JSON numbers too. */
  epoch: boolean;
}

const DEFAULT_DATE = 'YYYY-MM-DD';
const DEFAULT_TIME = 'YYYY-MM-DD HH:MI:SS';
const DEFAULT_TIMETZ = 'YYYY-MM-DD HH:MI:SSOF';

export function dateTimeReader(format: string | undefined, kind: DateTimeKind): DateTimeReader {
  const fmt = format ?? (kind === 'date' ? DEFAULT_DATE : kind === 'timestamptz' ? DEFAULT_TIMETZ : DEFAULT_TIME);
  if (fmt === 'epochsecs' || fmt === 'epochmillisecs') {
    const scale = fmt === 'epochsecs' ? 1_000_000n : 1_000n;
    return { label: fmt, epoch: true, parse: (text) => fromEpoch(text, scale, kind) };
  }
  if (fmt.toLowerCase() === 'auto') return { label: 'auto', epoch: false, parse: (text) => render(autoParse(text.trim()), kind) };
  const compiled = compileFormat(fmt);
  // Redshift prints the default formats with HH24 in its error messages.
  const label = format === undefined ? fmt.replace('HH:', 'HH24:') : fmt;
  return { label, epoch: false, parse: (text) => render(compiled(text), kind) };
}

/** Epoch seconds or milliseconds (possibly fractional or negative) to a timestamp, exactly to the microsecond. */
function fromEpoch(text: string, microsPerUnit: bigint, kind: DateTimeKind): string | undefined {
  const m = /^\s*(-?)(\d+)(?:\.(\d*))?\s*$/.exec(text);
  if (!m) return undefined;
  const digits = Number(microsPerUnit === 1_000_000n ? 6 : 3);
  const frac = (m[3] ?? '').padEnd(digits, '0').slice(0, digits);
  let micros = BigInt(m[2]) * microsPerUnit + BigInt(frac || '0');
  if (m[1] === '-') micros = -micros;
  const ms = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return undefined;
  const rest = Number(((micros % 1000n) + 1000n) % 1000n);
  return render(
    {
      y: date.getUTCFullYear(),
      mo: date.getUTCMonth() + 1,
      d: date.getUTCDate(),
      h: date.getUTCHours(),
      mi: date.getUTCMinutes(),
      s: date.getUTCSeconds(),
      micros: date.getUTCMilliseconds() * 1000 + rest,
      offset: 0,
    },
    kind,
  );
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function fraction(f: string | undefined): number {
  return f ? Number(f.slice(0, 6).padEnd(6, '0')) : 0;
}

function zone(z: string | undefined): number | undefined {
  if (!z) return undefined;
  if (z === 'Z' || z === 'z') return 0;
  const m = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(z);
  if (!m) return undefined;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

/** The formats 'auto' recognises that the loader is likely to produce: ISO 8601 and a few common date spellings. */
function autoParse(text: string): Parts | undefined {
  const time = String.raw`(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?`;
  const iso = new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})${time}$`).exec(text);
  const compact = /^(\d{4})(\d{2})(\d{2})(?:\s*(\d{2}):?(\d{2}):?(\d{2})(?:\.(\d+))?)?$/.exec(text);
  const slashYmd = new RegExp(String.raw`^(\d{4})/(\d{1,2})/(\d{1,2})${time}$`).exec(text);
  const slashMdy = new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4})${time}$`).exec(text);
  const named = new RegExp(String.raw`^(\d{1,2})[- ]([A-Za-z]{3})[a-z]*[- ](\d{4})${time}$`).exec(text);
  const build = (y: string, mo: string | number, d: string, h?: string, mi?: string, s?: string, f?: string, z?: string): Parts => ({
    y: Number(y), mo: Number(mo), d: Number(d), h: Number(h ?? 0), mi: Number(mi ?? 0), s: Number(s ?? 0), micros: fraction(f), offset: zone(z),
  });
  if (iso) return build(iso[1], iso[2], iso[3], iso[4], iso[5], iso[6], iso[7], iso[8]);
  if (compact) return build(compact[1], compact[2], compact[3], compact[4], compact[5], compact[6], compact[7]);
  if (slashYmd) return build(slashYmd[1], slashYmd[2], slashYmd[3], slashYmd[4], slashYmd[5], slashYmd[6], slashYmd[7], slashYmd[8]);
  if (slashMdy) return build(slashMdy[3], slashMdy[1], slashMdy[2], slashMdy[4], slashMdy[5], slashMdy[6], slashMdy[7], slashMdy[8]);
  if (named) {
    const mo = MONTHS.indexOf(named[2].toLowerCase()) + 1;
    if (mo === 0) return undefined;
    return build(named[3], mo, named[1], named[4], named[5], named[6], named[7], named[8]);
  }
  return undefined;
}

type Field = 'y' | 'y2' | 'mo' | 'mon' | 'd' | 'h24' | 'h12' | 'mi' | 's' | 'ampm' | 'of';

/** Compiles a Redshift format string to a matcher. HH is 24-hour unless AM/PM appears. */
function compileFormat(fmt: string): (text: string) => Parts | undefined {
  const fields: Field[] = [];
  let re = '^';
  const hasAmPm = /AM|PM/i.test(fmt);
  const tokens: [RegExp, Field, string][] = [
    [/^YYYY/i, 'y', '(\\d{4})'],
    [/^YY/i, 'y2', '(\\d{2})'],
    [/^MON(TH)?/i, 'mon', '([A-Za-z]{3})[A-Za-z]*'],
    [/^MM/i, 'mo', '(\\d{1,2})'],
    [/^DD/i, 'd', '(\\d{1,2})'],
    [/^HH24/i, 'h24', '(\\d{1,2})'],
    [/^HH12/i, 'h12', '(\\d{1,2})'],
    [/^HH/i, hasAmPm ? 'h12' : 'h24', '(\\d{1,2})'],
    [/^MI/i, 'mi', '(\\d{2})'],
    [/^SS/i, 's', '(\\d{2}(?:\\.\\d{1,6})?)'],
    [/^(AM|PM)/i, 'ampm', '([AaPp][Mm])'],
    [/^OF/i, 'of', '(Z|[+-]\\d{1,2}(?::?\\d{2})?)?'],
  ];
  let i = 0;
  outer: while (i < fmt.length) {
    for (const [pattern, field, group] of tokens) {
      const m = pattern.exec(fmt.slice(i));
      if (m) {
        fields.push(field);
        re += group;
        i += m[0].length;
        continue outer;
      }
    }
    re += fmt[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    i++;
  }
  const matcher = new RegExp(`${re}$`);
  return (text) => {
    const m = matcher.exec(text);
    if (!m) return undefined;
    const p: Parts = { y: 1970, mo: 1, d: 1, h: 0, mi: 0, s: 0, micros: 0 };
    let pm: boolean | undefined;
    fields.forEach((f, k) => {
      const v = m[k + 1];
      switch (f) {
        case 'y': p.y = Number(v); break;
        case 'y2': p.y = 2000 + Number(v) - (Number(v) >= 70 ? 100 : 0); break;
        case 'mo': p.mo = Number(v); break;
        case 'mon': p.mo = MONTHS.indexOf(v.toLowerCase()) + 1; break;
        case 'd': p.d = Number(v); break;
        case 'h24': p.h = Number(v); break;
        case 'h12': p.h = Number(v) % 12; break;
        case 'mi': p.mi = Number(v); break;
        case 's': {
          const [whole, f6] = v.split('.');
          p.s = Number(whole);
          p.micros = fraction(f6);
          break;
        }
        case 'ampm': pm = v.toLowerCase() === 'pm'; break;
        case 'of': p.offset = zone(v); break;
      }
    });
    if (pm) p.h += 12;
    return p;
  };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function valid(p: Parts): boolean {
  const days = new Date(Date.UTC(p.y, p.mo, 0)).getUTCDate();
  return p.mo >= 1 && p.mo <= 12 && p.d >= 1 && p.d <= days && p.h <= 23 && p.mi <= 59 && p.s <= 59 && p.y >= 1 && p.y <= 9999;
}

function render(parts: Parts | undefined, kind: DateTimeKind): string | undefined {
  if (!parts || !valid(parts)) return undefined;
  let p = parts;
  if (kind === 'timestamptz' && p.offset) {
    // Normalise to UTC; TIMESTAMP (without zone) keeps the wall time and ignores the zone.
    const shifted = new Date(Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi - p.offset, p.s));
    p = { ...p, y: shifted.getUTCFullYear(), mo: shifted.getUTCMonth() + 1, d: shifted.getUTCDate(), h: shifted.getUTCHours(), mi: shifted.getUTCMinutes(), s: shifted.getUTCSeconds() };
  }
  const date = `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}`;
  if (kind === 'date') return date;
  const frac = p.micros ? `.${pad(p.micros, 6)}` : '';
  const time = `${date} ${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${frac}`;
  return kind === 'timestamptz' ? `${time}+00` : time;
}
