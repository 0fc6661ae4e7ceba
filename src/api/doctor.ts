/**
 * `sparkify doctor`: checks each configured part before a first run — the
 * warehouse (reachable, writable, schema, tables), each source (credentials,
 * listing, reading one object), and on Redshift the staging prefix and the
 * IAM role — and says for each one PASS or FAIL with what to do. It writes
 * nothing but a temporary table and, on Redshift, one small object under the
 * staging prefix that it deletes at once (and, like any command, it creates the
 * embedded Postgres when that is the target and it does not exist yet).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/index.ts';
import { describeError, SparkifyError } from '../common/errors.ts';
import { keyFilter, relativeToSource } from '../extract/key-filter.ts';
import type { Source } from '../extract/source.ts';
import type { Logger } from '../common/log.ts';
import { describeDestination } from '../run/etl.ts';
import { configuredSources, datasetOf, openSources } from '../run/sources.ts';
import { openWarehouse, type Warehouse } from '../warehouse/connect.ts';
import { tablesExist } from '../warehouse/tables.ts';
import { CURRENT_SCHEMA_SQL, DATABASE_CREATE_PRIVILEGE_SQL, SCHEMA_CREATE_PRIVILEGE_SQL } from '../dialect/catalog.ts';
import { configOf, logOf, type CommonOptions } from './options.ts';
import { apiCall } from './session.ts';

export interface DoctorResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** Runs every check that applies to the configuration, in order; a failed part skips the checks that need it. */
export async function runDoctor(config: Config, log: Logger): Promise<DoctorResult[]> {
  const results: DoctorResult[] = [];
  const pass = (name: string, detail: string) => results.push({ name, ok: true, detail });
  const fail = (name: string, err: unknown, fix?: string) => {
    const hint = err instanceof SparkifyError ? err.hint : undefined;
    const message = err instanceof SparkifyError ? err.message : describeError(err);
    results.push({ name, ok: false, detail: message, fix: fix ?? hint });
  };

  let wh: Warehouse | undefined;
  try {
    wh = await openWarehouse(config, log, { poolSize: 2 });
    pass('warehouse reachable', describeDestination(wh, config));
  } catch (err) {
    fail('warehouse reachable', err, config.target.kind === 'embedded' ? 'see the message; `--target postgres://…` uses another Postgres' : 'check the host, port, database (it must exist: createdb NAME), user and password (PGPASSWORD)');
  }
  let s3: S3Client | undefined;
  try {
    if (wh) await warehouseChecks(wh, config, pass, fail);
    const sourceUrls = configuredSources(config);
    const opened = await openSources(config, sourceUrls, { maxAttempts: 2, timeoutMs: config.load.timeoutSeconds * 1000 });
    s3 = opened.s3;
    if (s3 && !config.s3.anonymous) {
      try {
        const creds = await s3.config.credentials();
        pass('AWS credentials', `found (access key ${creds.accessKeyId.slice(0, 4)}…)${config.s3.profile ? ` from profile ${config.s3.profile}` : ''}`);
      } catch (err) {
        fail('AWS credentials', err, `set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE (or --profile NAME), or use --no-sign-request for a public bucket`);
      }
    }
    if (sourceUrls.length === 0) fail('sources', 'no source configured', 'give --logs and/or --songs, or set LOG_DATA / SONG_DATA under [S3] in dwh.cfg');
    for (const [name] of sourceUrls) await sourceCheck(opened.sources.get(datasetOf(name))!, name, config, pass, fail);
    if (config.target.kind === 'redshift' && s3) await redshiftChecks(config, s3, pass, fail);
  } finally {
    s3?.destroy();
    await wh?.close().catch(() => undefined);
  }
  return results;
}

type Pass = (name: string, detail: string) => void;
type Fail = (name: string, err: unknown, fix?: string) => void;

async function warehouseChecks(wh: Warehouse, config: Config, pass: Pass, fail: Fail): Promise<void> {
  const client = await wh.pool.connect();
  try {
    // A temporary table disappears with the session: it proves the user may create tables without leaving one behind.
    await client.query('CREATE TEMP TABLE sparkify_doctor_probe (x int)');
    await client.query('DROP TABLE sparkify_doctor_probe');
    pass('warehouse writable', 'created and dropped a temporary table');
  } catch (err) {
    fail('warehouse writable', err, 'grant the user TEMP and CREATE on the database');
  } finally {
    client.release();
  }
  const schema = wh.names.schema ?? (await wh.pool.query(CURRENT_SCHEMA_SQL)).rows[0].s;
  const { rows } = await wh.pool.query(SCHEMA_CREATE_PRIVILEGE_SQL, [schema]);
  if (rows.length === 0) {
    const { rows: db } = await wh.pool.query(DATABASE_CREATE_PRIVILEGE_SQL);
    if (db[0].can) pass('schema', `${schema} does not exist yet; \`sparkify create-tables\` creates it`);
    else fail('schema', `${schema} does not exist and the user may not create schemas`, `create it (CREATE SCHEMA ${schema}) or grant CREATE on the database`);
  } else if (rows[0].can) {
    pass('schema', `${schema}: the user may create tables in it`);
  } else {
    fail('schema', `the user may not create tables in schema ${schema}`, `GRANT CREATE ON SCHEMA ${schema} TO the loader's user`);
  }
  if (await tablesExist(wh)) pass('tables', `the loader's tables exist in ${schema}`);
  else fail('tables', `the loader's tables do not exist in ${schema}${config.schema ? '' : ' (the default schema)'}`, 'run `sparkify create-tables`, or `sparkify run`, which creates them');
}

/** Lists a source until its first object the filters let through, and reads its first bytes. */
async function sourceCheck(source: Source, name: string, config: Config, pass: Pass, fail: Fail): Promise<void> {
  const filter = keyFilter(config.load.filters);
  let first;
  let seen = 0;
  try {
    for await (const o of source.list()) {
      seen++;
      if (filter(relativeToSource(o.key, source.keyPrefix))) {
        first = o;
        break;
      }
    }
  } catch (err) {
    fail(`${name}: list ${source.description}`, err);
    return;
  }
  if (!first) {
    const why = seen ? `${seen} object(s), none matching the --include/--exclude filters` : 'no objects';
    fail(`${name}: list ${source.description}`, why, 'check the bucket, prefix or folder (a typo lists nothing), and --include/--exclude');
    return;
  }
  pass(`${name}: list ${source.description}`, `first object ${first.key}`);
  try {
    const { body } = await source.open(first);
    let bytes = 0;
    for await (const chunk of body) {
      bytes += (chunk as Buffer).length;
      break;
    }
    body.destroy();
    pass(`${name}: read one object`, `read ${bytes} bytes of ${first.key}`);
  } catch (err) {
    fail(`${name}: read one object`, err, 'the credentials may list but not read: check s3:GetObject on the prefix');
  }
}

async function redshiftChecks(config: Config, s3: S3Client, pass: Pass, fail: Fail): Promise<void> {
  const { validateIamRole } = await import('../dialect/redshift-copy.ts');
  const { parseStagingPrefix, StagingArea } = await import('../stage/s3-staging.ts');
  try {
    const arn = validateIamRole(config.redshift.iamRole);
    // Whether the role is attached to the cluster shows only when Redshift uses it, at the first COPY.
    pass('IAM role', `${arn} is well formed (Redshift checks that it is attached to the cluster at the first COPY)`);
  } catch (err) {
    fail('IAM role', err, 'set [IAM_ROLE] ARN in dwh.cfg or --iam-role arn:aws:iam::ACCOUNT:role/NAME');
  }
  try {
    const area = new StagingArea(s3, parseStagingPrefix(config.redshift.stagingPrefix), 0);
    await area.put('doctor-probe.txt', 'sparkify doctor\n');
    await area.remove();
    pass('staging prefix', `wrote and deleted an object under ${config.redshift.stagingPrefix}`);
  } catch (err) {
    fail('staging prefix', err, 'the loader needs s3:PutObject, s3:DeleteObject and s3:ListBucket on the staging prefix');
  }
}

/** `sparkify doctor`: every check that applies to the configuration; `ok` when all passed. */
export function doctor(options: CommonOptions = {}): Promise<{ ok: boolean; checks: DoctorResult[] }> {
  return apiCall(async () => {
    const checks = await runDoctor(configOf(options), logOf(options));
    return { ok: checks.every((r) => r.ok), checks };
  });
}
