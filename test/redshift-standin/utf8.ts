/**
 * UTF-8 checking the way COPY reports it: the first bad sequence, its hex
 * bytes and Redshift's error number, and ACCEPTINVCHARS replacement (each bad
 * byte becomes the replacement character, so the byte length is kept).
 * [DG:multi-byte-character-load-errors; REDSHIFT-FACTS §9]
 */

export interface Utf8Problem {
  offset: number;
  length: number;
  /** Redshift's VARCHAR error number: 1 over four bytes, 2 incomplete, 3 bad start byte, 4 bad continuation, 5 surrogate, 7 beyond U+10FFFF. */
  errorNo: number;
}

/** Length of the bad sequence at `i`, or 0 when a valid character starts there; `width` gets the valid character's width. */
function check(buf: Buffer, i: number): { bad: Utf8Problem | undefined; width: number } {
  const b = buf[i];
  if (b < 0x80) return { bad: undefined, width: 1 };
  if (b >= 0xf8) return { bad: { offset: i, length: 1, errorNo: 1 }, width: 0 };
  if (b < 0xc0 || b === 0xc0 || b === 0xc1) return { bad: { offset: i, length: 1, errorNo: 3 }, width: 0 };
  const width = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
  if (i + width > buf.length) return { bad: { offset: i, length: buf.length - i, errorNo: 2 }, width: 0 };
  let cp = b & (0xff >> (width + 1));
  for (let k = 1; k < width; k++) {
    const c = buf[i + k];
    if ((c & 0xc0) !== 0x80) return { bad: { offset: i, length: k, errorNo: 4 }, width: 0 };
    cp = (cp << 6) | (c & 0x3f);
  }
  const overlong = (width === 3 && cp < 0x800) || (width === 4 && cp < 0x10000);
  if (overlong) return { bad: { offset: i, length: width, errorNo: 3 }, width: 0 };
  if (cp >= 0xd800 && cp <= 0xdfff) return { bad: { offset: i, length: width, errorNo: 5 }, width: 0 };
  if (cp > 0x10ffff) return { bad: { offset: i, length: width, errorNo: 7 }, width: 0 };
  return { bad: undefined, width };
}

/** The first invalid sequence in `buf`, if any. */
export function findInvalidUtf8(buf: Buffer): Utf8Problem | undefined {
  let i = 0;
  while (i < buf.length) {
    const { bad, width } = check(buf, i);
    if (bad) return bad;
    i += width;
  }
  return undefined;
}

/** Redshift's err_reason for a VARCHAR field with invalid UTF-8. */
export function utf8Reason(buf: Buffer, p: Utf8Problem): string {
  const hex = buf.subarray(p.offset, p.offset + p.length).toString('hex');
  return `String contains invalid or unsupported UTF-8 codepoints. Bad UTF-8 hex sequence: ${hex} (error ${p.errorNo})`;
}

/** ACCEPTINVCHARS: every byte of every invalid sequence becomes `replacement` (one ASCII byte). */
export function replaceInvalidUtf8(buf: Buffer, replacement: string): Buffer {
  const out = Buffer.from(buf);
  const r = replacement.charCodeAt(0);
  let i = 0;
  while (i < out.length) {
    const { bad, width } = check(out, i);
    if (bad) {
      const n = Math.max(bad.length, 1);
      out.fill(r, i, i + n);
      i += n;
    } else i += width;
  }
  return out;
}

/** Truncates a UTF-8 string to at most `bytes` bytes on a character boundary (TRUNCATECOLUMNS). */
export function truncateToBytes(s: string, bytes: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= bytes) return s;
  let end = bytes;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.toString('utf8', 0, end);
}
