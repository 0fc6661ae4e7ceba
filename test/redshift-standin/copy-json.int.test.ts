import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket, SAMPLE_DIR, testS3Client, uploadDirectory } from '../support/services.ts';
import { errorOf, startHarness, type Harness } from './test-harness.ts';

const ROLE = "IAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'";

/** The classic project's staging table: 18 columns in the order of log_json_path.json. */
const STAGING_EVENTS = (name: string): string => `
  CREATE TABLE ${name} (
    artist VARCHAR, auth VARCHAR, first_name VARCHAR, gender VARCHAR, item_in_session INT, last_name VARCHAR,
    length FLOAT8, level VARCHAR, location VARCHAR, method VARCHAR, page VARCHAR, registration BIGINT,
    session_id BIGINT, song VARCHAR, status INT, ts BIGINT, user_agent VARCHAR, user_id VARCHAR
  )`;

const event = (over: Record<string, unknown>): string =>
  JSON.stringify({
    artist: 'Des\'ree', auth: 'Logged In', firstName: 'Kaylee', gender: 'F', itemInSession: 1, lastName: 'Summers', length: 246.30812,
    level: 'free', location: 'Phoenix-Mesa-Scottsdale, AZ', method: 'PUT', page: 'NextSong', registration: 1540344794796.0, sessionId: 139,
    song: 'You Gotta Be', status: 200, ts: 1541106106796, userAgent: 'Mozilla/5.0', userId: '8', ...over,
  });

describe('Redshift stand-in: COPY JSON from S3', () => {
  let h: Harness;
  let c: pg.Client;
  let s3: S3Client;
  let bucket: string;
  const put = (key: string, body: string): Promise<unknown> => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const jsonpaths = (): string => `s3://${bucket}/meta/log_json_path.json`;

  beforeAll(async () => {
    h = await startHarness('standin_json');
    s3 = testS3Client();
    bucket = await createBucket(s3, 'standin-json');
    await uploadDirectory(s3, bucket, 'log_data', join(SAMPLE_DIR, 'log_data'));
    await put('meta/log_json_path.json', await readFile(join(SAMPLE_DIR, 'log_json_path.json'), 'utf8'));
    c = await h.connect();
  });
  afterAll(async () => {
    s3.destroy();
    await h.close();
  });

  it('loads the real log_data with log_json_path.json and epochmillisecs: 8056 rows', async () => {
    await c.query(STAGING_EVENTS('staging_events'));
    await c.query(
      `COPY staging_events FROM 's3://${bucket}/log_data' ${ROLE} FORMAT AS JSON '${jsonpaths()}' TIMEFORMAT 'epochmillisecs' MAXERROR 10 REGION 'us-east-1' COMPUPDATE OFF STATUPDATE OFF`,
    );
    const { rows } = await c.query('SELECT count(*)::int AS n, pg_last_copy_count()::int AS loaded FROM staging_events');
    expect(rows[0]).toEqual({ n: 8056, loaded: 8056 });
    expect((await c.query('SELECT count(*)::int AS n FROM stl_load_errors WHERE query = pg_last_copy_id()')).rows[0].n).toBe(0);
    // The first event of 2018-11-01, value for value (registration arrives as 1540919166796.0).
    const first = await c.query(
      "SELECT artist, auth, first_name, gender, item_in_session, last_name, length, level, page, registration::text, session_id::text, status, ts::text, user_id FROM staging_events WHERE ts = 1541105830796 AND user_id = '39'",
    );
    expect(first.rows).toEqual([
      {
        artist: null, auth: 'Logged In', first_name: 'Walter', gender: 'M', item_in_session: 0, last_name: 'Frye', length: null, level: 'free',
        page: 'Home', registration: '1540919166796', session_id: '38', status: 200, ts: '1541105830796', user_id: '39',
      },
    ]);
    expect((await c.query("SELECT count(*)::int AS n FROM staging_events WHERE user_id = ''")).rows[0].n).toBeGreaterThan(0);
  });

  it('converts epochmillisecs into a TIMESTAMP column, with pretty-printed and back-to-back objects', async () => {
    await c.query('CREATE TABLE ev_time (page VARCHAR(20), ts TIMESTAMP, "sessionId" BIGINT)');
    await put('auto/a.json', '{\n  "page": "Home",\n  "ts": 1541105830796,\n  "ignored": [1, 2]\n}{"page":"NextSong","ts":1541106106796}\n\n   {"ts": 0, "page": "Epoch"}');
    await c.query(`COPY ev_time FROM 's3://${bucket}/auto/a.json' ${ROLE} JSON 'auto' TIMEFORMAT 'epochmillisecs'`);
    const { rows } = await c.query('SELECT page, ts::text AS ts FROM ev_time ORDER BY ts');
    expect(rows).toEqual([
      { page: 'Epoch', ts: '1970-01-01 00:00:00' },
      { page: 'Home', ts: '2018-11-01 20:57:10.796' },
      { page: 'NextSong', ts: '2018-11-01 21:01:46.796' },
    ]);
  });

  it('records bad rows with file, line, column and code, and loads the good ones', async () => {
    await c.query(STAGING_EVENTS('bad_events'));
    const file = [
      event({ itemInSession: 0 }),
      event({ itemInSession: 'abc' }),
      'this line is not JSON',
      event({ itemInSession: 3, status: 2.5 }),
      event({ itemInSession: 4, sessionId: 1e30 }),
      event({ itemInSession: 5 }),
    ].join('\n');
    await put('bad/2018-11-30-events.json', file);
    await c.query('BEGIN');
    await c.query(`COPY bad_events FROM 's3://${bucket}/bad/' ${ROLE} FORMAT AS JSON '${jsonpaths()}' TIMEFORMAT 'epochmillisecs' MAXERROR 10`);
    const copy = await c.query('SELECT pg_last_copy_id() AS id, pg_last_copy_count()::int AS n');
    await c.query('COMMIT');
    expect(copy.rows[0].n).toBe(2);
    expect((await c.query('SELECT item_in_session FROM bad_events ORDER BY 1')).rows).toEqual([{ item_in_session: 0 }, { item_in_session: 5 }]);
    const errors = await c.query(
      `SELECT query, trim(filename) AS filename, line_number::int AS line, trim(colname) AS colname, err_code, trim(err_reason) AS reason
         FROM stl_load_errors WHERE query = pg_last_copy_id() ORDER BY line_number`,
    );
    expect(errors.rows.every((r) => r.query === copy.rows[0].id)).toBe(true);
    expect(errors.rows.map((r) => ({ line: r.line, colname: r.colname, code: r.err_code, filename: r.filename }))).toEqual([
      { line: 2, colname: 'item_in_session', code: 1207, filename: `s3://${bucket}/bad/2018-11-30-events.json` },
      { line: 3, colname: '', code: 1216, filename: `s3://${bucket}/bad/2018-11-30-events.json` },
      { line: 4, colname: 'status', code: 1207, filename: `s3://${bucket}/bad/2018-11-30-events.json` },
      { line: 5, colname: 'session_id', code: 1204, filename: `s3://${bucket}/bad/2018-11-30-events.json` },
    ]);
    expect(errors.rows[0].reason).toBe("Invalid digit, Value 'a', Pos 0, Type: Integer");
    // SYS_LOAD_ERROR_DETAIL sees the same rows, under a different query id.
    const sys = await c.query("SELECT count(*)::int AS n, min(query_id) <> $1 AS other_id FROM sys_load_error_detail WHERE trim(file_name) LIKE '%/bad/2018-11-30-events.json'", [copy.rows[0].id]);
    expect(sys.rows[0]).toEqual({ n: 4, other_id: true });
  });

  it('fails the whole COPY with MAXERROR 0 and loads nothing', async () => {
    await c.query(STAGING_EVENTS('strict_events'));
    const err = await errorOf(c.query(`COPY strict_events FROM 's3://${bucket}/bad/' ${ROLE} FORMAT AS JSON '${jsonpaths()}' TIMEFORMAT 'epochmillisecs' MAXERROR 0`));
    expect(err.code).toBe('XX000');
    expect(err.message).toBe("Load into table 'strict_events' failed.  Check 'stl_load_errors' system table for details.");
    expect((await c.query('SELECT count(*)::int AS n FROM strict_events')).rows[0].n).toBe(0);
    const last = await c.query('SELECT pg_last_copy_count()::int AS n, (SELECT count(*)::int FROM stl_load_errors WHERE query = pg_last_copy_id()) AS errors');
    expect(last.rows[0]).toEqual({ n: 0, errors: 1 });
  });

  it('counts bytes for VARCHAR, rejects invalid UTF-8 and NUL, and checks the JSONPaths file', async () => {
    await c.query('CREATE TABLE narrow (name VARCHAR(4), n INT)');
    const bad = Buffer.concat([Buffer.from('{"name":"ok","n":1}\n{"name":"€€","n":2}\n{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","n":3}\n{"name":"a\\u0000b","n":4}\n')]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'narrow/x.json', Body: bad }));
    await c.query(`COPY narrow FROM 's3://${bucket}/narrow/x.json' ${ROLE} JSON 'auto' MAXERROR 5`);
    const codes = await c.query('SELECT line_number::int AS line, err_code FROM stl_load_errors WHERE query = pg_last_copy_id() ORDER BY 1');
    expect(codes.rows).toEqual([{ line: 2, err_code: 1204 }, { line: 3, err_code: 1220 }, { line: 4, err_code: 1220 }]);
    await put('meta/short.json', JSON.stringify({ jsonpaths: ["$['name']"] }));
    const err = await errorOf(c.query(`COPY narrow FROM 's3://${bucket}/narrow/x.json' ${ROLE} JSON 's3://${bucket}/meta/short.json'`));
    expect(err.message).toMatch(/^Number of jsonpaths and the number of columns should match/);
    await put('meta/mixed.json', JSON.stringify({ jsonpaths: ["$['name']", '$.n'] }));
    expect((await errorOf(c.query(`COPY narrow FROM 's3://${bucket}/narrow/x.json' ${ROLE} JSON 's3://${bucket}/meta/mixed.json'`))).message).toMatch(/^Invalid JSONPath format/);
  });
});
