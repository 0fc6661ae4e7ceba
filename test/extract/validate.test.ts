import { describe, expect, it } from 'vitest';
import { EVENT_FIELDS, SONG_FIELDS } from '../../src/common/datasets.ts';
import { ExactNumber, exactReviver, integerFromLiteral } from '../../src/extract/exact-number.ts';
import { validateRecord } from '../../src/extract/validate.ts';

const event = (over: Record<string, unknown> = {}) => ({
  artist: 'A', auth: 'Logged In', firstName: 'F', gender: 'M', itemInSession: 0, lastName: 'L', length: 1.5, level: 'free',
  location: 'X', method: 'PUT', page: 'NextSong', registration: 1540919166796.0, sessionId: 38, song: 'S', status: 200,
  ts: 1541105830796, userAgent: 'UA', userId: '39', ...over,
});
const song = (over: Record<string, unknown> = {}) => ({
  num_songs: 1, artist_id: 'AR1', artist_latitude: null, artist_longitude: null, artist_location: '', artist_name: 'N',
  song_id: 'SO1', title: 'T', duration: 337.68444, year: 0, ...over,
});
const reason = (v: unknown, fields = EVENT_FIELDS) => {
  const r = validateRecord(v, fields);
  return r.ok ? 'ok' : r.reason;
};

describe('validation (SPEC §3)', () => {
  it('stages a good event as a typed row in staging-column order', () => {
    const r = validateRecord(event(), EVENT_FIELDS);
    expect(r).toEqual({ ok: true, row: ['A', 'Logged In', 'F', 'M', 0, 'L', 1.5, 'free', 'X', 'PUT', 'NextSong', 1540919166796, 38, 'S', 200, 1541105830796, 'UA', '39'] });
  });

  it('rejects anything but a JSON object', () => {
    expect(reason([1, 2])).toBe('record is an array, not a JSON object');
    expect(reason('x')).toBe('record is a string, not a JSON object');
    expect(reason(null)).toBe('record is null, not a JSON object');
    expect(reason(42)).toBe('record is a number, not a JSON object');
  });

  it('requires ts, sessionId, itemInSession and page, and song_id and artist_id', () => {
    expect(reason({})).toBe('field "itemInSession" is required but missing');
    expect(reason(event({ ts: undefined }))).toBe('field "ts" is required but missing');
    expect(reason(event({ sessionId: null }))).toBe('field "sessionId" is required but null');
    expect(reason(event({ page: null }))).toBe('field "page" is required but null');
    expect(reason(song({ song_id: null }), SONG_FIELDS)).toBe('field "song_id" is required but null');
    expect(reason(song({ artist_id: undefined }), SONG_FIELDS)).toBe('field "artist_id" is required but missing');
  });

  it('allows null and missing optional fields, and ignores unknown ones', () => {
    const r = validateRecord(event({ artist: null, length: undefined, extra: { deep: true } }), EVENT_FIELDS);
    expect(r.ok && r.row[0]).toBeNull();
    expect(r.ok && r.row[6]).toBeNull();
  });

  it('checks JSON types', () => {
    expect(reason(event({ artist: 5 }))).toBe('field "artist" must be a string, got 5');
    expect(reason(event({ length: '1.5' }))).toBe('field "length" must be a number, got the string "1.5"');
    expect(reason(event({ status: true }))).toBe('field "status" must be an integer, got true');
    expect(reason(event({ itemInSession: 1.5 }))).toBe('field "itemInSession" must be an integer, got 1.5');
    expect(reason(song({ year: '2005' }), SONG_FIELDS)).toBe('field "year" must be an integer, got the string "2005"');
    expect(reason(song({ title: ['x'] }), SONG_FIELDS)).toBe('field "title" must be a string, got an array');
  });

  it('treats an integral float as an integer', () => {
    const r = validateRecord(event({ registration: 1540919166796.0, status: 200.0 }), EVENT_FIELDS);
    expect(r.ok).toBe(true);
  });

  it('checks int32 and int64 ranges', () => {
    expect(reason(event({ status: 2147483648 }))).toBe('field "status" 2147483648 is out of int32 range');
    expect(reason(event({ itemInSession: -2147483649 }))).toBe('field "itemInSession" -2147483649 is out of int32 range');
    expect(reason(event({ status: -2147483648 }))).toBe('ok');
    expect(reason(event({ ts: 1e300 }))).toBe('field "ts" 1e+300 is out of int64 range');
    expect(reason(event({ ts: new ExactNumber('9223372036854775808') }))).toBe('field "ts" 9223372036854775808 is out of int64 range');
    expect(reason(event({ ts: new ExactNumber('1e400') }))).toBe('field "ts" 1e400 is out of int64 range');
  });

  it('keeps 64-bit integers beyond 2^53 exact', () => {
    const line = JSON.stringify(event()).replace('"sessionId":38', '"sessionId":9223372036854775807');
    const loose = validateRecord(JSON.parse(line), EVENT_FIELDS);
    expect(loose).toMatchObject({ ok: false, inexact: true, field: 'sessionId' });
    const exact = validateRecord(JSON.parse(line, exactReviver as never), EVENT_FIELDS);
    expect(exact.ok && exact.row[12]).toBe(9223372036854775807n);
  });

  it('rejects U+0000 and lone surrogates in any string', () => {
    expect(reason(event({ song: 'a\u0000b' }))).toBe('field "song" contains U+0000, which a text column cannot hold');
    expect(reason(JSON.parse('{"ts":1,"sessionId":1,"itemInSession":1,"page":"x","artist":"\\ud800"}'))).toMatch(/^field "artist" contains a lone UTF-16 surrogate/);
    expect(reason(event({ song: '😀' }))).toBe('ok');
  });

  it('takes userId as "", a JSON integer or a string of digits in int32 range', () => {
    const userId = (v: unknown) => {
      const r = validateRecord(event({ userId: v }), EVENT_FIELDS);
      return r.ok ? r.row[17] : r.reason;
    };
    expect(userId('')).toBe('');
    expect(userId('39')).toBe('39');
    expect(userId(39)).toBe('39');
    expect(userId(39.0)).toBe('39');
    expect(userId('007')).toBe('007');
    expect(userId(null)).toBeNull();
    expect(userId('2147483647')).toBe('2147483647');
    expect(userId('2147483648')).toBe('field "userId" the string "2147483648" is out of int32 range');
    expect(userId('-1')).toBe('field "userId" must be "" or a string of digits, got the string "-1"');
    expect(userId(' 39')).toMatch(/string of digits/);
    expect(userId('abc')).toMatch(/string of digits/);
    expect(userId(1.5)).toBe('field "userId" must be "" or an integer, got 1.5');
    expect(userId(true)).toMatch(/must be "" or an integer/);
  });

  it('enforces declared widths in bytes and the NULL marker when asked (Redshift)', () => {
    const limits = { enforceWidths: true, nullMarker: '\\N' };
    const r = validateRecord(event({ gender: 'é'.repeat(9) }), EVENT_FIELDS, limits);
    expect(r.ok ? 'ok' : r.reason).toBe('field "gender" is 18 bytes of UTF-8, wider than its VARCHAR(16) column');
    expect(validateRecord(event({ gender: 'é'.repeat(9) }), EVENT_FIELDS).ok).toBe(true);
    const n = validateRecord(event({ song: '\\N' }), EVENT_FIELDS, limits);
    expect(n.ok ? 'ok' : n.reason).toMatch(/exactly "\\\\N", the CSV NULL marker/);
  });
});

describe('integerFromLiteral', () => {
  it('reads integral literals exactly and refuses fractions', () => {
    expect(integerFromLiteral('9223372036854775807')).toBe(9223372036854775807n);
    expect(integerFromLiteral('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(integerFromLiteral('1540919166796.0')).toBe(1540919166796n);
    expect(integerFromLiteral('1.5e3')).toBe(1500n);
    expect(integerFromLiteral('12345678901234567890e-1')).toBe(1234567890123456789n);
    expect(integerFromLiteral('1.5')).toBeUndefined();
    expect(integerFromLiteral('15e-1')).toBeUndefined();
    expect(integerFromLiteral('abc')).toBeUndefined();
  });
});

describe('ts within years 0001–9999 (SPEC §3, issue #15 item 1)', () => {
  const why = 'is not a time in years 0001–9999 UTC (-62135596800000 ≤ ts ≤ 253402300799999), so it cannot be a start_time';
  it('accepts both bounds and rejects one millisecond past either, naming the field', () => {
    expect(reason(event({ ts: -62135596800000 }))).toBe('ok');
    expect(reason(event({ ts: 253402300799999 }))).toBe('ok');
    expect(reason(event({ ts: -62135596800001 }))).toBe(`field "ts" -62135596800001 ${why}`);
    expect(reason(event({ ts: 253402300800000 }))).toBe(`field "ts" 253402300800000 ${why}`);
  });

  it('rejects the poison values of the issue: int64 max and 9.3e15', () => {
    const exact = JSON.parse('{"ts":9223372036854775807}', exactReviver as never) as { ts: ExactNumber };
    expect(reason(event({ ts: exact.ts }))).toBe(`field "ts" 9223372036854775807 ${why}`);
    const r = validateRecord(event({ ts: 9.3e15 }), EVENT_FIELDS);
    // A double beyond 2^53 is re-read from its digits first (object-encoder.ts), then judged.
    expect(r).toMatchObject({ ok: false, field: 'ts', inexact: true });
    expect(reason(event({ ts: new ExactNumber('9300000000000000') }))).toBe(`field "ts" 9300000000000000 ${why}`);
  });
});
