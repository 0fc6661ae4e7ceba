import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_FILTERS, fnmatchRegExp, keyFilter, relativeToSource } from '../../src/extract/key-filter.ts';

const inc = (pattern: string) => ({ kind: 'include' as const, pattern });
const exc = (pattern: string) => ({ kind: 'exclude' as const, pattern });

describe('--include / --exclude (AWS CLI semantics)', () => {
  it('reads JSON, JSON Lines and NDJSON, plain or gzipped, by default', () => {
    const f = keyFilter([]);
    for (const p of ['2018/11/a.json', 'a.jsonl', 'x/y.ndjson', 'a.json.gz', 'a.jsonl.gz', 'b.ndjson.gz']) expect(f(p), p).toBe(true);
    for (const p of ['readme.txt', 'data.csv', 'a.json.bak', 'a.gz', 'a.JSON', 'json']) expect(f(p), p).toBe(false);
  });

  it('applies filters in order, the last match deciding, after the defaults', () => {
    expect(keyFilter([inc('*.csv')])('data.csv')).toBe(true);
    expect(keyFilter([exc('*'), inc('2018/11/*')])('2018/11/a.json')).toBe(true);
    expect(keyFilter([exc('*'), inc('2018/11/*')])('2018/12/a.json')).toBe(false);
    // The AWS CLI's own example: the order matters.
    expect(keyFilter([inc('*'), exc('*.png')], [])('a.png')).toBe(false);
    expect(keyFilter([exc('*.png'), inc('*')], [])('a.png')).toBe(true);
    expect(keyFilter([exc('*'), inc('*.png')], [])('dir/a.png')).toBe(true);
  });

  it('matches * across slashes, ? one character, [seq] and [!seq], case-sensitively', () => {
    expect(fnmatchRegExp('*.json').test('a/b/c.json')).toBe(true);
    expect(fnmatchRegExp('a?c').test('a/c')).toBe(true);
    expect(fnmatchRegExp('a?c').test('ac')).toBe(false);
    expect(fnmatchRegExp('[ab]x').test('bx')).toBe(true);
    expect(fnmatchRegExp('[!ab]x').test('bx')).toBe(false);
    expect(fnmatchRegExp('[!ab]x').test('cx')).toBe(true);
    expect(fnmatchRegExp('[]]').test(']')).toBe(true);
    expect(fnmatchRegExp('[a').test('[a')).toBe(true); // an unclosed class is literal
    expect(fnmatchRegExp('[^a]').test('^')).toBe(true); // ^ is a plain character in fnmatch
    expect(fnmatchRegExp('a.(b)+$').test('a.(b)+$')).toBe(true);
    expect(fnmatchRegExp('*.JSON').test('a.json')).toBe(false);
  });

  it('treats every character other than * ? [ as itself', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !/[*?[]/.test(s)), (s) => {
        expect(fnmatchRegExp(s).test(s)).toBe(true);
        expect(fnmatchRegExp(`*${s}*`).test(`x/${s}/y`)).toBe(true);
      }),
    );
  });

  it('matches against the path relative to the source', () => {
    expect(relativeToSource('log_data/2018/11/a.json', 'log_data')).toBe('2018/11/a.json');
    expect(relativeToSource('log_data/2018/11/a.json', 'log_data/')).toBe('2018/11/a.json');
    expect(relativeToSource('a.json', '')).toBe('a.json');
    expect(DEFAULT_FILTERS[0]).toEqual(exc('*'));
  });
});
