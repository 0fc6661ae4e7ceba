/** decode.ts: which objects are gunzipped, what a broken gzip stream is, and the raw text of its reject. */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pipe } from '../../src/common/pipe.ts';
import { decoding, isDecodeError } from '../../src/extract/decode.ts';
import { HEAD_BYTES } from '../../src/extract/json-document.ts';
import type { OpenedObject } from '../../src/extract/source.ts';

const opened = (bytes: Buffer, contentEncoding?: string, chunk = 1000): OpenedObject => ({
  body: Readable.from((function* () {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  })()),
  contentEncoding,
});

/** Runs `o` through its decoding and returns the decoded bytes. */
async function decoded(o: OpenedObject, key: string, size: number): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipe([o.body, ...decoding(o, key, size).stages, async (body: AsyncIterable<Buffer>) => {
    for await (const c of body) out.push(c);
  }]);
  return Buffer.concat(out);
}

const text = Buffer.from('{"a":1}\n{"a":2}\n'.repeat(500));

describe('decoding', () => {
  it('leaves a plain object as it is (no stages)', async () => {
    const o = opened(text);
    expect(decoding(o, 'log_data/a.json', text.length).stages).toEqual([]);
    expect(await decoded(o, 'log_data/a.json', text.length)).toEqual(text);
  });

  it('gunzips by the key (.gz, any case) or by Content-Encoding', async () => {
    const gz = gzipSync(text);
    expect(await decoded(opened(gz), 'log_data/a.json.gz', gz.length)).toEqual(text);
    expect(await decoded(opened(gz), 'log_data/a.json.GZ', gz.length)).toEqual(text);
    expect(await decoded(opened(gz, 'gzip'), 'log_data/a.json', gz.length)).toEqual(text);
    expect(decoding(opened(gz, 'identity'), 'log_data/a.json', gz.length).stages).toEqual([]);
  });

  it('fails a broken gzip stream with an error isDecodeError knows, and keeps its first bytes for the reject', async () => {
    const gz = gzipSync(text);
    const broken = Buffer.concat([gz.subarray(0, 40), Buffer.from('not gzip any more'), gz.subarray(60)]);
    const o = opened(broken);
    const d = decoding(o, 'a.json.gz', broken.length);
    const err = await pipe([o.body, ...d.stages, async (body: AsyncIterable<Buffer>) => {
      for await (const _ of body);
    }]).then(() => undefined, (e: unknown) => e);
    expect(isDecodeError(err)).toBe(true);
    const raw = d.sourceRaw({});
    // Compressed bytes are not UTF-8: escaped, whole (the object is smaller than the kept head).
    expect(raw).toMatchObject({ escaped: true, truncated: false });
    expect(raw.text).toContain('not gzip any more');
  });

  it('keeps at most the head of a long broken object, truncated', async () => {
    const big = Buffer.alloc(HEAD_BYTES * 2, 'x'); // not gzip at all: the first bytes fail
    const o = opened(big, undefined, 16 * 1024);
    const d = decoding(o, 'a.gz', big.length);
    await expect(pipe([o.body, ...d.stages, async (body: AsyncIterable<Buffer>) => {
      for await (const _ of body);
    }])).rejects.toSatisfy(isDecodeError);
    const raw = d.sourceRaw({ maxBytes: 100 });
    expect(raw).toEqual({ text: 'x'.repeat(100), escaped: false, truncated: true });
  });

  it('tells decode errors from others', () => {
    expect(isDecodeError(Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR' }))).toBe(true);
    expect(isDecodeError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isDecodeError(new Error('plain'))).toBe(false);
    expect(isDecodeError(undefined)).toBe(false);
  });
});
