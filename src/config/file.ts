/**
 * dwh.cfg: the classic INI file of the Udacity project, with the sections
 * [CLUSTER], [IAM_ROLE] and [S3], plus [ETL] for the loader's own knobs.
 * Parsing is strict: an unknown section or key, a line that is not
 * `KEY = value`, or a value of the wrong kind is a ConfigError naming the
 * file, the line and what to do — a typo must not silently fall back to a default.
 *
 * Comments: a line whose first character is `#` or `;`, or a `#` or `;` at the
 * start of a value or after whitespace (`HOST = 127.0.0.1  # my local pg`). A
 * `#` or `;` inside a word is part of the value (`DB_PASSWORD = pa#ss`), and a
 * quoted value keeps everything between its quotes (`DB_PASSWORD = "a #b"`).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../common/errors.ts';

export type ConfigFile = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Where each `[SECTION] KEY` of a parsed file was written: `path:line`. */
const origins = new WeakMap<ConfigFile, Map<string, string>>();

/** `dwh.cfg:12` for a key read from a file, so that errors about its value can name the line. */
export function lineOf(file: ConfigFile, section: string, key: string): string | undefined {
  return origins.get(file)?.get(`${section}.${key}`);
}

/** Every section and key the loader reads, with a one-line description (used by --help and the README). */
export const CONFIG_KEYS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  CLUSTER: {
    HOST: 'warehouse host; empty means the embedded Postgres',
    DB_NAME: 'database name',
    DB_USER: 'user name',
    DB_PASSWORD: 'password (prefer PGPASSWORD in the environment)',
    DB_PORT: 'port (5432 for Postgres, 5439 for Redshift)',
    TYPE: 'postgres or redshift (default: redshift when HOST ends in .redshift.amazonaws.com or .redshift-serverless.amazonaws.com; set it for VPC endpoints and custom DNS names)',
    SCHEMA: 'schema for every table (default: the database default schema)',
    SSLMODE: 'disable, prefer, require, verify-ca or verify-full (default: prefer for Postgres, verify-full for Redshift)',
    SSLROOTCERT: 'CA bundle file for verify-ca / verify-full',
    IAM_AUTH: 'Redshift: true to sign in with temporary IAM credentials (GetClusterCredentials, or Serverless GetCredentials) instead of DB_PASSWORD',
    CLUSTER_ID: 'Redshift IAM sign-in: the cluster identifier (default: the first label of HOST)',
    WORKGROUP: 'Redshift Serverless IAM sign-in: the workgroup name (default: the first label of a *.redshift-serverless.amazonaws.com HOST)',
    REGION: "Redshift: the cluster's or workgroup's region (default: read from HOST)",
  },
  IAM_ROLE: {
    ARN: 'IAM role Redshift assumes to read S3 (COPY … IAM_ROLE)',
  },
  S3: {
    LOG_DATA: 'source of the event logs: s3://bucket/prefix or a local folder',
    SONG_DATA: 'source of the song metadata: s3://bucket/prefix or a local folder',
    LOG_JSONPATH: 'JSONPaths file for Redshift direct mode (s3://…/log_json_path.json)',
    ENDPOINT: 'S3-compatible endpoint URL (MinIO, Ceph, a local server); empty for AWS',
    REGION: 'AWS region of the sources (default us-west-2, where the Udacity bucket lives)',
    PATH_STYLE: 'true to address buckets as endpoint/bucket (needed by most S3-compatible servers)',
    ANONYMOUS: 'true to read a public bucket without credentials',
    STAGING_PREFIX: 'Redshift stage mode: s3://bucket/prefix where gzipped CSV parts are written',
    STAGING_REGION: "region of the staging bucket (default: REGION, the sources' region)",
    PROFILE: 'AWS shared-config profile for the loader\'s own S3 requests (AWS_PROFILE and --profile win)',
  },
  ETL: {
    CONCURRENCY: "at most this many small objects read at once (default: adapts to the source's latency, 8 to 128)",
    WORKERS: 'worker threads that parse, validate and encode rows on Postgres (default: the cores the warehouse connection leaves)',
    MAX_ERRORS: 'rejects allowed before the run exits 3 (default 0)',
    REDSHIFT_MODE: 'stage (default) or direct',
    RETRIES: 'retries of a failed object, transaction or model step on a transient error (default 4)',
    TIMEOUT: 'seconds of network silence before an S3 request or a connection attempt is abandoned, and the longest wait for a lock (default 60)',
    ALLOW_EMPTY: 'true to accept a source that lists no object (default false: that is an error)',
    WAIT: 'seconds to wait for another run\'s lock before failing (default 0)',
    REJECTS_RETENTION_DAYS: 'rejects older than this many days are deleted after each run (default: kept)',
    SWAP_WAIT: "seconds a full build waits for a gap in analysts' reads to swap its tables in (default 60)",
    SHARDS: 'shards of a sharded load (Kubernetes Indexed Job, AWS Batch array job): the index comes from JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX; without one a run is not sharded',
  },
};

/** Reads and validates a dwh.cfg. Returns undefined when `optional` and the file does not exist. */
export function readConfigFile(path: string, optional: boolean, shownAs = path): ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(`cannot read config file ${shownAs}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  return parseConfigText(text, shownAs);
}

/** Parses INI text strictly (see module comment). */
export function parseConfigText(text: string, path = 'dwh.cfg'): ConfigFile {
  const out: Record<string, Record<string, string>> = {};
  const keyLines = new Map<string, string>();
  origins.set(out, keyLines);
  let section: string | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const where = `${path}:${index + 1}`;
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]]*)\]$/.exec(line);
    if (header) {
      section = header[1].trim().toUpperCase();
      if (!(section in CONFIG_KEYS)) {
        throw new ConfigError(`${where}: unknown section [${header[1]}]`, { hint: `known sections: ${Object.keys(CONFIG_KEYS).map((s) => `[${s}]`).join(' ')}` });
      }
      out[section] ??= {};
      return;
    }
    const eq = line.indexOf('=');
    // Quote only the first word of a bad line: the rest may be a password.
    if (eq <= 0) throw new ConfigError(`${where}: expected KEY = value or [SECTION], got a line starting ${JSON.stringify(line.split(/\s/)[0].slice(0, 40))}`);
    if (!section) throw new ConfigError(`${where}: ${line.slice(0, eq).trim()} is outside any [SECTION]`);
    const key = line.slice(0, eq).trim().toUpperCase();
    if (!(key in CONFIG_KEYS[section])) {
      throw new ConfigError(`${where}: unknown key ${key} in [${section}]`, { hint: `known keys: ${Object.keys(CONFIG_KEYS[section]).join(', ')}` });
    }
    out[section][key] = value(line.slice(eq + 1).trim(), where, key);
    keyLines.set(`${section}.${key}`, where);
  });
  return out;
}

/**
 * The value after `=`: `'value'` or `"value"` (then only a comment may follow),
 * or the text up to a `#`/`;` that follows whitespace (see the module comment).
 */
function value(text: string, where: string, key: string): string {
  const quote = text[0];
  if (quote === "'" || quote === '"') {
    const end = text.indexOf(quote, 1);
    const rest = end === -1 ? undefined : text.slice(end + 1).trim();
    if (rest === undefined || (rest !== '' && !/^[#;]/.test(rest))) {
      // Name the key, never the value: it may be a password.
      throw new ConfigError(`${where}: the value of ${key} opens a quote (${quote}) that is not closed, or has text after it`, { hint: 'write KEY = "value"  # comment' });
    }
    return text.slice(1, end);
  }
  const comment = /(^|\s)[#;]/.exec(text);
  return (comment ? text.slice(0, comment.index) : text).trim();
}
