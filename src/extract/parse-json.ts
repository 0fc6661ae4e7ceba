/**
 * `JSON.parse`, guarded against a V8 bug that renames object keys.
 *
 * V8 (Node 22–26 at least; nodejs/node#63785, chromium 521080746) follows an
 * object's existing map transitions while it parses keys, and for a key with an
 * escape it compares the raw source text, not the decoded key, with the key the
 * transition expects. Once any earlier parse in the process has made an object
 * whose keys start like another object's escaped key does in the source, the
 * escaped key comes back as that earlier key: after `{"p":0,"\\u":1}`,
 * `{"p":1,"\u0074s":2}` parses as `{"p":1,"\\u":2}` — `ts` is lost, or a
 * duplicate `ts` no longer wins.
 *
 * A renamed key always holds a backslash (it equals a prefix of the raw text of
 * an escaped key, escape included), so a parse whose text has a backslash and
 * whose result has a key holding one is read again by a plain reader here that
 * never consults V8's transitions. Texts without a backslash cannot hit the bug
 * and pay nothing; the rest pay a walk over their keys.
 */
import { ExactNumber, exactReviver, mayBeInexact } from './exact-number.ts';

/**
 * The value of JSON `text`, as `JSON.parse` gives it where V8 is right.
 * `exact`: numbers beyond 2^53 come back as ExactNumber holding their source
 * text (what `exactReviver` does).
 */
export function parseJson(text: string, exact = false): unknown {
  const value: unknown = exact ? JSON.parse(text, exactReviver as never) : JSON.parse(text);
  if (text.indexOf('\\') !== -1 && hasKeyWithBackslash(value)) return parseJsonPlain(text, exact);
  return value;
}

function hasKeyWithBackslash(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || value instanceof ExactNumber) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) pending.push(item);
      continue;
    }
    for (const key in value) {
      if (key.indexOf('\\') !== -1) return true;
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }
  return false;
}

type Frame = { array: unknown[]; object?: undefined; key?: undefined } | { object: Record<string, unknown>; key: string; array?: undefined };

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * JSON `text` read without `JSON.parse`: keys are decoded before they are
 * stored, and stored with `Object.defineProperty` (an own `__proto__` key stays
 * a key, a duplicate keeps its first position and its last value, as in
 * `JSON.parse`). Iterative, so nesting is bounded by memory, not the stack.
 * Throws SyntaxError on text `JSON.parse` refuses.
 */
export function parseJsonPlain(text: string, exact = false): unknown {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(i < text.length ? `Unexpected character at position ${i} in JSON` : 'Unexpected end of JSON input');
  };
  const space = () => {
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  };
  const string = (): string => {
    if (text.charCodeAt(i) !== 34) fail();
    let out = '';
    let from = ++i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (Number.isNaN(c) || c < 0x20) fail();
      if (c !== 92) {
        i++;
        continue;
      }
      out += text.slice(from, i);
      const e = text[i + 1];
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const decoded = ESCAPES[e];
        if (decoded === undefined) fail();
        out += decoded;
        i += 2;
      }
      from = i;
    }
    out += text.slice(from, i++);
    return out;
  };
  const literal = (word: string, value: unknown): unknown => {
    if (!text.startsWith(word, i)) fail();
    i += word.length;
    return value;
  };
  const digits = () => {
    const from = i;
    for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i));
    if (i === from) fail();
  };
  const number = (): unknown => {
    const from = i;
    if (text.charCodeAt(i) === 45) i++;
    if (text.charCodeAt(i) === 48) i++;
    else digits();
    if (text.charCodeAt(i) === 46) {
      i++;
      digits();
    }
    const e = text.charCodeAt(i);
    if (e === 101 || e === 69) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      digits();
    }
    const source = text.slice(from, i);
    const n = Number(source);
    return exact && mayBeInexact(n) ? new ExactNumber(source) : n;
  };
  const set = (object: Record<string, unknown>, key: string, value: unknown) =>
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });

  const stack: Frame[] = [];
  for (;;) {
    // A value starts here: open a container, or read a whole scalar.
    space();
    let value: unknown;
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        value = {};
      } else {
        const key = string();
        space();
        if (text[i++] !== ':') fail();
        stack.push({ object: {}, key });
        continue;
      }
    } else if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        value = [];
      } else {
        stack.push({ array: [] });
        continue;
      }
    } else if (c === '"') value = string();
    else if (c === 't') value = literal('true', true);
    else if (c === 'f') value = literal('false', false);
    else if (c === 'n') value = literal('null', null);
    else value = number();

    // The value is complete: hand it to the containers it closes, until one wants another value.
    for (;;) {
      const top = stack.at(-1);
      if (top === undefined) {
        space();
        if (i !== text.length) fail();
        return value;
      }
      if (top.array) top.array.push(value);
      else set(top.object, top.key, value);
      space();
      const next = text[i++];
      if (next === ',') {
        if (top.object) {
          space();
          top.key = string();
          space();
          if (text[i++] !== ':') fail();
        }
        break;
      }
      if (next !== (top.array ? ']' : '}')) fail();
      value = top.array ?? top.object;
      stack.pop();
    }
  }
}
