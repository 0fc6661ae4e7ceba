/**
 * JSONPaths files for COPY … JSON 's3://…': one expression per target column,
 * `$['a']['b']`, `$["a"]`, `$.a.b` or `$.a[0]`; bracket and dot notation may
 * not be mixed and wildcards or filters are not supported. A path that finds
 * nothing loads NULL; indexing something that is not an array, or past its
 * end, fails the COPY. [REDSHIFT-FACTS §2 "JSONPaths file"]
 */
import { internalError } from './errors.ts';
import type { JsonValue } from './json-reader.ts';

export type PathStep = { key: string } | { index: number };

export interface JsonPath {
  text: string;
  steps: PathStep[];
  /** Which member notation the path uses, so a file cannot mix them. */
  notation: 'dot' | 'bracket' | 'none';
}

/** Thrown when a JSONPath meets something it cannot index; fails the whole COPY. */
export class JsonPathFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPathFailure';
  }
}

export function parseJsonPath(text: string): JsonPath {
  const bad = (why: string): Error => internalError(`Invalid JSONPath format: ${why}`, `JSONPath: ${text}`);
  if (!text.startsWith('$')) throw bad('a JSONPath must start with $');
  const steps: PathStep[] = [];
  let dot = false;
  let bracketName = false;
  let i = 1;
  while (i < text.length) {
    if (text[i] === '.') {
      const m = /^\.([^.[\]*?]+)/.exec(text.slice(i));
      if (!m) throw bad(text[i + 1] === '*' ? 'wildcards are not supported' : 'empty member name');
      steps.push({ key: m[1] });
      dot = true;
      i += m[0].length;
    } else if (text[i] === '[') {
      const idx = /^\[\s*(\d+)\s*\]/.exec(text.slice(i));
      const name = /^\[\s*(['"])((?:(?!\1).)*)\1\s*\]/.exec(text.slice(i));
      if (idx) {
        steps.push({ index: Number(idx[1]) });
        i += idx[0].length;
      } else if (name) {
        steps.push({ key: name[2] });
        bracketName = true;
        i += name[0].length;
      } else throw bad(/^\[\s*[*?]/.test(text.slice(i)) ? 'wildcards and filters are not supported' : 'malformed bracket expression');
    } else throw bad(`unexpected character '${text[i]}'`);
  }
  if (dot && bracketName) throw bad('bracket notation and dot notation cannot be mixed');
  return { text, steps, notation: dot ? 'dot' : bracketName ? 'bracket' : 'none' };
}

/**
 * Reads a JSONPaths file. Returns undefined when its top-level key is not
 * "jsonpaths", in which case Redshift silently falls back to 'auto'.
 */
export function parseJsonPathsFile(raw: Buffer, url: string): JsonPath[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (err) {
    throw internalError(`Invalid JSONPath format: the JSONPaths file '${url}' is not valid JSON (it must not be compressed)`, (err as Error).message);
  }
  if (typeof doc !== 'object' || doc === null || !('jsonpaths' in doc)) return undefined;
  const list = (doc as { jsonpaths: unknown }).jsonpaths;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) {
    throw internalError(`Invalid JSONPath format: "jsonpaths" in '${url}' must be an array of strings`);
  }
  const paths = list.map((p: string) => parseJsonPath(p));
  if (paths.some((p) => p.notation === 'dot') && paths.some((p) => p.notation === 'bracket')) {
    throw internalError('Invalid JSONPath format: bracket notation and dot notation cannot be mixed', `JSONPaths file: ${url}`);
  }
  return paths;
}

/** The value a path selects, or undefined when a member is missing. */
export function evaluate(path: JsonPath, root: JsonValue): JsonValue | undefined {
  let v: JsonValue | undefined = root;
  for (const step of path.steps) {
    if (v === undefined) return undefined;
    if ('key' in step) {
      if (v.t !== 'obj') {
        if (v.t === 'arr') throw new JsonPathFailure('Invalid JSONPath format: Member is not an object.');
        return undefined;
      }
      v = v.v.get(step.key);
    } else {
      if (v.t !== 'arr' || step.index >= v.v.length) throw new JsonPathFailure('Invalid JSONPath format: Not an array or index out of range.');
      v = v.v[step.index];
    }
  }
  return v;
}
