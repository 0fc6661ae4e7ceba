/**
 * A small SQL tokenizer: enough of Redshift's lexical rules (quoted strings,
 * dollar quotes, quoted identifiers, nested comments) that the stand-in never
 * mistakes text inside a literal or identifier for a keyword, and can split a
 * Query message into statements at top-level semicolons.
 *
 * String literals follow Redshift's PostgreSQL 8.0 lexer, which predates
 * standard_conforming_strings: a backslash in '…' is an escape (`\\` is one
 * backslash, `\'` a quote, `\n` a newline, `\N` just N) [GH:jOOQ/jOOQ#10628,
 * GH:apache/datafusion-sqlparser-rs#1801; DG:r_QUOTE_LITERAL doubles
 * backslashes for that reason]. There is no E'…' syntax: `E'x'` reads as a
 * literal of type "e" [GH:npgsql/npgsql#515]; the token is marked so that the
 * refusals can say so.
 */

export type TokenKind = 'word' | 'qident' | 'string' | 'number' | 'param' | 'op' | 'punct' | 'space' | 'comment';

export interface Token {
  kind: TokenKind;
  /** Offsets into the text that was tokenized (JS string indices). */
  start: number;
  end: number;
  text: string;
  /** word: lower-cased; qident: the identifier; string: the decoded content; otherwise the text. */
  value: string;
  /** string: the letter before the quote (`E'…'`, `N'…'`), if any. */
  prefix?: string;
}

export interface Statement {
  /** Statement text without the terminating semicolon. */
  text: string;
  /** Offset of `text` in the whole query string. */
  start: number;
  /** Tokens of `text` (offsets relative to `text`). */
  tokens: Token[];
}

const isWordStart = (c: string): boolean => /[A-Za-z_\u0080-\uffff]/.test(c);
const isWordChar = (c: string): boolean => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const OP_CHARS = '+-*/<>=~!@#%^&|`?';

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: string): void => {
    const text = sql.slice(start, end);
    tokens.push({ kind, start, end, text, value: value ?? text });
  };
  while (i < sql.length) {
    const c = sql[i];
    const start = i;
    if (/\s/.test(c)) {
      while (i < sql.length && /\s/.test(sql[i])) i++;
      push('space', start, i);
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      push('comment', start, i);
    } else if (c === '/' && sql[i + 1] === '*') {
      // Postgres block comments nest.
      let depth = 0;
      while (i < sql.length) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
      push('comment', start, i);
    } else if (c === "'" || ('EeNn'.includes(c) && sql[i + 1] === "'")) {
      // Every '…' takes backslash escapes (no standard_conforming_strings); N'…' is an ordinary string.
      const prefix = c === "'" ? undefined : c;
      i = c === "'" ? i + 1 : i + 2;
      let value = '';
      while (i < sql.length) {
        const d = sql[i];
        if (d === "'" && sql[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (d === "'") {
          i++;
          break;
        } else if (d === '\\' && i + 1 < sql.length) {
          const octal = /^[0-7]{1,3}/.exec(sql.slice(i + 1, i + 4));
          if (octal) {
            value += String.fromCharCode(parseInt(octal[0], 8));
            i += 1 + octal[0].length;
          } else {
            value += decodeEscape(sql[i + 1]);
            i += 2;
          }
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', start, end: i, text: sql.slice(start, i), value, prefix });
    } else if (c === '"') {
      i++;
      let value = '';
      while (i < sql.length) {
        if (sql[i] === '"' && sql[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (sql[i] === '"') {
          i++;
          break;
        } else value += sql[i++];
      }
      push('qident', start, i, value);
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      const param = /^\$\d+/.exec(sql.slice(i));
      if (param) {
        i += param[0].length;
        push('param', start, i);
      } else if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        const end = close < 0 ? sql.length : close + tag[0].length;
        push('string', start, end, sql.slice(i + tag[0].length, close < 0 ? sql.length : close));
        i = end;
      } else {
        i++;
        push('op', start, i);
      }
    } else if (isDigit(c) || (c === '.' && isDigit(sql[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i));
      i += m ? m[0].length : 1;
      push('number', start, i);
    } else if (isWordStart(c)) {
      while (i < sql.length && isWordChar(sql[i])) i++;
      push('word', start, i, sql.slice(start, i).toLowerCase());
    } else if (c === ':' && sql[i + 1] === ':') {
      i += 2;
      push('op', start, i);
    } else if ('(),;[].:'.includes(c)) {
      i++;
      push('punct', start, i);
    } else if (OP_CHARS.includes(c)) {
      // One operator character per token is enough for the stand-in's checks.
      i++;
      push('op', start, i);
    } else {
      i++;
      push('op', start, i);
    }
  }
  return tokens;
}

function decodeEscape(c: string): string {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    default:
      return c;
  }
}

/** Tokens that carry meaning: no whitespace, no comments. */
export function significant(tokens: Token[]): Token[] {
  return tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
}

/** Splits a Query message into statements at top-level semicolons; empty statements are dropped. */
export function splitStatements(sql: string): Statement[] {
  const tokens = tokenize(sql);
  const out: Statement[] = [];
  let from = 0;
  let startTok = 0;
  const flush = (end: number, endTok: number): void => {
    const slice = tokens.slice(startTok, endTok);
    if (significant(slice).length > 0) {
      const text = sql.slice(from, end);
      out.push({ text, start: from, tokens: slice.map((t) => ({ ...t, start: t.start - from, end: t.end - from })) });
    }
  };
  tokens.forEach((t, idx) => {
    if (t.kind === 'punct' && t.text === ';') {
      flush(t.start, idx);
      from = t.end;
      startTok = idx + 1;
    }
  });
  flush(sql.length, tokens.length);
  return out;
}

/** True when `t` is the unquoted keyword `word` (case-insensitive). */
export function isWord(t: Token | undefined, ...words: string[]): boolean {
  return t !== undefined && t.kind === 'word' && words.includes(t.value);
}

export function isPunct(t: Token | undefined, p: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.text === p;
}

/** Index of the token closing the parenthesis opened at `open` (in a significant-token list). */
export function matchParen(sig: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < sig.length; i++) {
    if (isPunct(sig[i], '(')) depth++;
    else if (isPunct(sig[i], ')')) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits sig[from, to) at top-level commas. */
export function splitTopLevel(sig: Token[], from: number, to: number): Token[][] {
  const parts: Token[][] = [];
  let depth = 0;
  let current: Token[] = [];
  for (let i = from; i < to; i++) {
    const t = sig[i];
    if (isPunct(t, '(') || isPunct(t, '[')) depth++;
    if (isPunct(t, ')') || isPunct(t, ']')) depth--;
    if (depth === 0 && isPunct(t, ',')) {
      parts.push(current);
      current = [];
    } else current.push(t);
  }
  if (current.length > 0 || parts.length > 0) parts.push(current);
  return parts;
}

/**
 * Identifier value of a word or quoted identifier token. Redshift folds both to
 * lower case (quoted ones too, unless enable_case_sensitive_identifier is on).
 */
export function identValue(t: Token | undefined): string | undefined {
  if (!t) return undefined;
  if (t.kind === 'word') return t.value;
  if (t.kind === 'qident') return t.value.toLowerCase();
  return undefined;
}

/** SQL text for an identifier token as Redshift resolves it: quoted identifiers folded to lower case. */
export function identText(t: Token): string {
  return t.kind === 'qident' ? quoteIdent(t.value.toLowerCase()) : t.text;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Reads a possibly qualified name (`a`, `"a"`, `s.t`) starting at sig[i]; returns its parts and the next index. */
export function readQualifiedName(sig: Token[], i: number): { parts: string[]; text: string; next: number } | undefined {
  const first = identValue(sig[i]);
  if (first === undefined) return undefined;
  const parts = [first];
  const texts = [identText(sig[i])];
  let j = i + 1;
  while (isPunct(sig[j], '.') && identValue(sig[j + 1]) !== undefined) {
    parts.push(identValue(sig[j + 1]) as string);
    texts.push(identText(sig[j + 1]));
    j += 2;
  }
  return { parts, text: texts.join('.'), next: j };
}

/** Postgres counts positions in characters (code points); JS strings count UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** JS index of the 1-based code-point position `pos` in `s`. */
export function jsIndexOfPosition(s: string, pos: number): number {
  let n = 1;
  let i = 0;
  for (const ch of s) {
    if (n === pos) return i;
    n++;
    i += ch.length;
  }
  return s.length;
}
