/**
 * Which listed objects a run reads: `--include` / `--exclude` patterns with
 * the AWS CLI's semantics (awscli/customizations/s3/filters.py): every object
 * starts included, the filters are applied in the order given and the last
 * one that matches decides; a pattern is matched against the object's path
 * relative to the source (its key without the source prefix) with Python's
 * `fnmatch`: `*` matches any run of characters, `/` included, `?` one
 * character, `[seq]` one of seq, `[!seq]` one not in seq; case-sensitive.
 *
 * No glob library is used: picomatch, minimatch and micromatch all stop `*`
 * at `/`, which is not what a user who writes `--exclude "*"` as in
 * `aws s3 sync` expects.
 */
import type { KeyFilterRule } from '../config/index.ts';

/** Read unless told otherwise: JSON, JSON Lines and NDJSON, plain or gzipped. */
export const DEFAULT_FILTERS: readonly KeyFilterRule[] = [
  { kind: 'exclude', pattern: '*' },
  ...['json', 'jsonl', 'ndjson'].flatMap((ext) => [
    { kind: 'include' as const, pattern: `*.${ext}` },
    { kind: 'include' as const, pattern: `*.${ext}.gz` },
  ]),
];

/** A predicate over paths relative to the source: true when the object is read. */
export type KeyFilter = (relativePath: string) => boolean;

/** The default filters followed by the user's, compiled once. */
export function keyFilter(rules: readonly KeyFilterRule[], defaults: readonly KeyFilterRule[] = DEFAULT_FILTERS): KeyFilter {
  const compiled = [...defaults, ...rules].map((r) => ({ include: r.kind === 'include', re: fnmatchRegExp(r.pattern) }));
  return (path) => {
    let included = true;
    for (const rule of compiled) if (rule.re.test(path)) included = rule.include;
    return included;
  };
}

/** Python's `fnmatch.translate`, as a RegExp anchored at both ends. */
export function fnmatchRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      while (pattern[i + 1] === '*') i++;
      out += '[\\s\\S]*';
    } else if (c === '?') {
      out += '[\\s\\S]';
    } else if (c === '[') {
      // A class runs to the next `]` that is not its first character; without one, `[` is literal.
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, j);
      const negated = body.startsWith('!');
      if (negated) body = body.slice(1);
      // Inside a class only `\`, `]` and a leading `^` mean something to a RegExp that they do not to fnmatch.
      body = body.replace(/[\\\]]/g, '\\$&');
      out += `[${negated ? '^' : body.startsWith('^') ? '\\' : ''}${body}]`;
      i = j;
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`, 'u');
}

/** The path a pattern is matched against: the key without the source's prefix (and the `/` after it). */
export function relativeToSource(key: string, prefix: string): string {
  return (key.startsWith(prefix) ? key.slice(prefix.length) : key).replace(/^\/+/, '');
}
