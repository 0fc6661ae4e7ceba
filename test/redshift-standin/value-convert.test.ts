import { describe, expect, it } from 'vitest';
import { dateTimeReader } from './datetime-format.ts';
import { convertDelimited, convertJson, type ConvertOptions, type TargetColumn } from './value-convert.ts';
import { parseJson } from './json-reader.ts';

const opts = (over: Partial<ConvertOptions> = {}, timeFormat?: string): ConvertOptions => ({
  emptyAsNull: false, blanksAsNull: false, truncateColumns: false, roundec: false, trimBlanks: false, acceptAnyDate: false,
  date: dateTimeReader(undefined, 'date'), timestamp: dateTimeReader(timeFormat, 'timestamp'), timestamptz: dateTimeReader(timeFormat, 'timestamptz'),
  ...over,
});
const col = (kind: TargetColumn['kind'], extra: Partial<TargetColumn> = {}): TargetColumn => ({ name: 'c', kind, typname: kind, notNull: false, hasDefault: false, identity: false, ...extra });
const text = (c: TargetColumn, s: string, o = opts()) => convertDelimited(c, s, o);
const json = (c: TargetColumn, source: string, o = opts()) => {
  const doc = parseJson(`{"v":${source}}`);
  return convertJson(c, doc.t === 'obj' ? doc.v.get('v') : undefined, o);
};

describe('value conversion', () => {
  it('checks integers digit by digit and by range', () => {
    expect(text(col('int4'), '-42')).toEqual({ ok: true, value: '-42' });
    expect(text(col('int4'), '4a')).toEqual({ ok: false, error: { code: 1207, reason: "Invalid digit, Value 'a', Pos 1, Type: Integer" } });
    expect(text(col('int2'), '40000')).toMatchObject({ ok: false, error: { code: 1204 } });
    expect(text(col('int8'), '1.0')).toMatchObject({ ok: false, error: { code: 1207 } });
    // JSON numbers that are whole load into integers; fractions and overflows do not.
    expect(json(col('int8'), '1540919166796.0')).toEqual({ ok: true, value: '1540919166796' });
    expect(json(col('int4'), '2.5')).toMatchObject({ ok: false, error: { code: 1207 } });
    expect(json(col('int8'), '9223372036854775808')).toMatchObject({ ok: false, error: { code: 1204 } });
  });

  it('truncates DECIMAL unless ROUNDEC, and reads JSON numbers through a double', () => {
    const dec = col('numeric', { precision: 8, scale: 2 });
    expect(text(dec, '20.259')).toEqual({ ok: true, value: '20.25' });
    expect(text(dec, '20.259', opts({ roundec: true }))).toEqual({ ok: true, value: '20.26' });
    expect(text(dec, '1234567.1')).toMatchObject({ ok: false, error: { code: 1204 } });
    expect(json(dec, '0.29')).toEqual({ ok: true, value: '0.28' });
    expect(json(dec, '"0.29"')).toEqual({ ok: true, value: '0.29' });
  });

  it('empty and blank fields: text stays text, other types are NULL', () => {
    expect(text(col('varchar', { length: 5 }), '')).toEqual({ ok: true, value: '' });
    expect(text(col('varchar', { length: 5 }), '', opts({ emptyAsNull: true }))).toEqual({ ok: true, value: null });
    expect(text(col('varchar', { length: 5 }), '  ', opts({ blanksAsNull: true }))).toEqual({ ok: true, value: null });
    expect(text(col('int4'), '')).toEqual({ ok: true, value: null });
    expect(text(col('varchar', { length: 2 }), 'é€')).toMatchObject({ ok: false, error: { code: 1204, reason: 'String length exceeds DDL length' } });
    expect(text(col('char', { length: 3 }), 'é')).toMatchObject({ ok: false, error: { code: 1220 } });
  });

  it('reads dates and times by format', () => {
    expect(text(col('timestamp'), '2018-11-01 21:01:46.5')).toEqual({ ok: true, value: '2018-11-01 21:01:46.500000' });
    expect(text(col('timestamp'), '2018-11-01T21:01:46Z')).toMatchObject({ ok: false, error: { code: 1206, reason: 'Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS]' } });
    expect(text(col('timestamp'), '2018-11-01T21:01:46.195+02:00', opts({}, 'auto'))).toEqual({ ok: true, value: '2018-11-01 21:01:46.195000' });
    expect(text(col('timestamptz'), '2018-11-01T21:01:46+02:00', opts({}, 'auto'))).toEqual({ ok: true, value: '2018-11-01 19:01:46+00' });
    expect(text(col('timestamp'), '01/11/2018 09:01:46 PM', opts({}, 'DD/MM/YYYY HH12:MI:SS AM'))).toEqual({ ok: true, value: '2018-11-01 21:01:46' });
    expect(text(col('date'), '2018-02-30')).toMatchObject({ ok: false, error: { code: 1205 } });
    expect(json(col('timestamp'), '1541105830796', opts({}, 'epochmillisecs'))).toEqual({ ok: true, value: '2018-11-01 20:57:10.796000' });
    expect(json(col('timestamp'), '1541105830.5', opts({}, 'epochsecs'))).toEqual({ ok: true, value: '2018-11-01 20:57:10.500000' });
    // The epoch keywords are case-sensitive.
    expect(json(col('timestamp'), '1541105830796', opts({}, 'EPOCHMILLISECS'))).toMatchObject({ ok: false, error: { code: 1206 } });
  });
});
