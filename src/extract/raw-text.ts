/**
 * The raw text kept with a reject. Rejects must lose nothing, yet a text
 * column can hold neither U+0000 nor invalid UTF-8. Text that is valid UTF-8
 * without NUL is kept as is; anything else is escaped — `\` becomes `\\`, and
 * NUL and each invalid byte become `\xNN` — and flagged `escaped`, so the
 * original bytes can always be rebuilt. The result is cut at `maxBytes` of
 * UTF-8 on a character boundary and flagged `truncated`.
 */

export interface RawText {
  text: string;
  escaped: boolean;
  truncated: boolean;
}

/** 64 KiB, SPEC §3. Redshift's VARCHAR(65535) asks for one byte less (dialect). */
export const DEFAULT_RAW_MAX_BYTES = 65536;

export interface RawTextOptions {
  maxBytes?: number;
  /** Forces escaping of text that would otherwise be stored as is (e.g. equal to a CSV null marker). */
  mustEscape?: (text: string) => boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Builds the stored raw text for the bytes or string of a rejected record. */
export function rawText(input: Uint8Array | string, options: RawTextOptions = {}): RawText {
  const maxBytes = options.maxBytes ?? DEFAULT_RAW_MAX_BYTES;
  let text: string | undefined;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = decoder.decode(input);
    } catch {
      // Invalid UTF-8: fall through to byte-level escaping below.
      text = undefined;
    }
  }
  if (text !== undefined && !text.includes('\0') && !(options.mustEscape?.(text) ?? false)) {
    return cutString(text, maxBytes, false);
  }
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return cutString(escapeBytes(bytes), maxBytes, true);
}

/**
 * The raw text of source bytes of which only the first ones were kept (a
 * long line, a document, a gzip stream): `head` holds the first bytes of
 * `totalBytes`. `truncated` is true exactly when the text does not hold them all.
 */
export function rawPrefix(head: Uint8Array, totalBytes: number, options: RawTextOptions = {}): RawText {
  if (totalBytes <= head.length) return rawText(head, options);
  // The kept bytes may end inside a character that the cut split: that is the cut, not bad UTF-8.
  const raw = rawText(head.subarray(0, completeUtf8Length(head)), options);
  return { ...raw, truncated: true };
}

/** Length of `bytes` without a trailing UTF-8 sequence that is a valid beginning but unfinished. */
function completeUtf8Length(bytes: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const b = bytes[bytes.length - back];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? (b <= 0xf4 ? 4 : 1) : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 1;
    return need > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** `\` → `\\`; NUL and bytes that are not part of valid UTF-8 → `\xNN`. */
export function escapeBytes(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b === 0x5c) {
      out += '\\\\';
      i++;
    } else if (b === 0) {
      out += '\\x00';
      i++;
    } else if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
    } else {
      const len = utf8SequenceLength(bytes, i);
      if (len > 0) {
        out += bytes.toString('utf8', i, i + len);
        i += len;
      } else {
        out += `\\x${b.toString(16).padStart(2, '0')}`;
        i++;
      }
    }
  }
  return out;
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence (bytes.length if none). */
export function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] < 0x80) i++;
    else {
      const len = utf8SequenceLength(bytes, i);
      if (len === 0) return i;
      i += len;
    }
  }
  return i;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when it is invalid. */
function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i];
  const cont = (k: number) => i + k < b.length && (b[i + k] & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1];
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 > 0x9f) return 0; // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1];
    if (c === 0xf0 && c1 < 0x90) return 0;
    if (c === 0xf4 && c1 > 0x8f) return 0;
    return 4;
  }
  return 0;
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character
 * or, in escaped text, an escape sequence (`\\` or `\xNN`).
 */
export function cutString(text: string, maxBytes: number, escaped: boolean): RawText {
  // Every UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no measuring.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return { text, escaped, truncated: false };
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const cp = text.codePointAt(end)!;
    let units: number;
    let size: number;
    if (escaped && cp === 0x5c) {
      units = text[end + 1] === 'x' ? 4 : 2;
      size = units;
    } else {
      units = cp >= 0x10000 ? 2 : 1;
      size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += units;
  }
  return { text: text.slice(0, end), escaped, truncated: true };
}
