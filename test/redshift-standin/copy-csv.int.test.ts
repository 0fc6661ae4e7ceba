import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket, testS3Client } from '../support/services.ts';
import { errorOf, startHarness, type Harness } from './test-harness.ts';

const ROLE = "IAM_ROLE 'arn:aws:iam::123456789012:role/sparkify-loader'";

/** Two gzipped parts covering Redshift's CSV rules. Each row: id, name, note, score, ts, flag. */
const PART1 = [
  '1,plain,"simple",12.50,2018-11-01 21:01:46,true',
  '2,"comma, inside","quote ""inside"" here",0.99,2018-11-01 21:05:52.123456,f',
  '3,"multi\nline\r\nwith CR","tab\there",-3,2018-11-30 00:00:00,t',
  '4,\\N,"\\N",\\N,\\N,\\N',
  '5,,"",,,',
].join('\n') + '\n';
const PART2 = [
  '6,"emoji 😀 and é",  "after blanks",1.234,2018-11-02 01:02:03,false',
  '7,"""quoted""",x,100,2018-11-03 04:05:06,1',
].join('\n');

const EXPECTED = [
  { id: 1, name: 'plain', note: 'simple', score: '12.50', ts: '2018-11-01 21:01:46', flag: true },
  { id: 2, name: 'comma, inside', note: 'quote "inside" here', score: '0.99', ts: '2018-11-01 21:05:52.123456', flag: false },
  { id: 3, name: 'multi\nline\r\nwith CR', note: 'tab\there', score: '-3.00', ts: '2018-11-30 00:00:00', flag: true },
  // The default null string \N makes a field NULL whether quoted or not.
  { id: 4, name: null, note: null, score: null, ts: null, flag: null },
  // Empty fields: '' for VARCHAR, quoted or not; NULL for every other type.
  { id: 5, name: '', note: '', score: null, ts: null, flag: null },
  // Blanks between the delimiter and an opening quote are ignored; DECIMAL is truncated, not rounded.
  { id: 6, name: 'emoji 😀 and é', note: 'after blanks', score: '1.23', ts: '2018-11-02 01:02:03', flag: false },
  { id: 7, name: '"quoted"', note: 'x', score: '100.00', ts: '2018-11-03 04:05:06', flag: true },
];

describe('Redshift stand-in: COPY CSV from S3', () => {
  let h: Harness;
  let c: pg.Client;
  let s3: S3Client;
  let bucket: string;
  const put = (key: string, body: string | Buffer): Promise<unknown> => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const manifest = (entries: { url: string; mandatory?: boolean }[]): string => JSON.stringify({ entries });
  const notices: string[] = [];

  beforeAll(async () => {
    h = await startHarness('standin_csv');
    s3 = testS3Client();
    bucket = await createBucket(s3, 'standin-csv');
    await put('stage/part-0001.csv.gz', gzipSync(PART1));
    await put('stage/part-0002.csv.gz', gzipSync(PART2));
    await put(
      'stage/load.manifest',
      manifest([
        { url: `s3://${bucket}/stage/part-0001.csv.gz`, mandatory: true },
        { url: `s3://${bucket}/stage/part-0002.csv.gz`, mandatory: true },
      ]),
    );
    c = await h.connect();
    c.on('notice', (n) => notices.push(n.message ?? ''));
    await c.query('CREATE TABLE events_csv (id INT, name VARCHAR(50), note VARCHAR(256), score DECIMAL(8,2), ts TIMESTAMP, flag BOOLEAN)');
  });
  afterAll(async () => {
    s3.destroy();
    await h.close();
  });

  const copySql = (table: string, from: string, extra = ''): string =>
    `COPY ${table} FROM '${from}' ${ROLE} FORMAT AS CSV GZIP MANIFEST COMPUPDATE OFF STATUPDATE OFF ${extra}`;
  const rows = async (table: string): Promise<Record<string, unknown>[]> =>
    (await c.query(`SELECT id, name, note, score::text AS score, ts::text AS ts, flag FROM ${table} ORDER BY id`)).rows;

  it('loads gzipped parts through a manifest inside BEGIN … COMMIT, value for value', async () => {
    notices.length = 0;
    await c.query('BEGIN');
    const res = await c.query(copySql('events_csv', `s3://${bucket}/stage/load.manifest`));
    const last = await c.query('SELECT pg_last_copy_count() AS n, pg_last_copy_id() AS id');
    await c.query('COMMIT');
    expect(res.command).toBe('COPY');
    expect(Number(last.rows[0].n)).toBe(7);
    expect(last.rows[0].id).toBeGreaterThan(0);
    expect(notices).toContain("Load into table 'events_csv' completed, 7 record(s) loaded successfully.");
    expect(await rows('events_csv')).toEqual(EXPECTED);
  });

  it('leaves nothing behind when the transaction is rolled back', async () => {
    await c.query('CREATE TABLE events_rb (LIKE events_csv)');
    await c.query('BEGIN');
    await c.query(copySql('events_rb', `s3://${bucket}/stage/load.manifest`));
    expect((await c.query('SELECT count(*)::int AS n FROM events_rb')).rows[0].n).toBe(7);
    await c.query('ROLLBACK');
    expect((await c.query('SELECT count(*)::int AS n FROM events_rb')).rows[0].n).toBe(0);
  });

  it('fails when a mandatory part is missing, and skips a missing optional one', async () => {
    await c.query('CREATE TABLE events_missing (LIKE events_csv)');
    const part1 = { url: `s3://${bucket}/stage/part-0001.csv.gz`, mandatory: true };
    await put('stage/missing.manifest', manifest([part1, { url: `s3://${bucket}/stage/part-0009.csv.gz`, mandatory: true }]));
    const err = await errorOf(c.query(copySql('events_missing', `s3://${bucket}/stage/missing.manifest`)));
    expect(err.code).toBe('XX000');
    expect(err.message).toMatch(/S3ServiceException/);
    expect((await c.query('SELECT count(*)::int AS n FROM events_missing')).rows[0].n).toBe(0);
    // `mandatory` defaults to false: a missing optional part is skipped.
    await put('stage/optional.manifest', manifest([part1, { url: `s3://${bucket}/stage/part-0009.csv.gz` }]));
    await c.query(copySql('events_missing', `s3://${bucket}/stage/optional.manifest`));
    expect((await c.query('SELECT count(*)::int AS n FROM events_missing')).rows[0].n).toBe(5);
    // No file found at all fails, whatever `mandatory` says; a URL listed twice loads twice.
    await put('stage/none.manifest', manifest([{ url: `s3://${bucket}/stage/nope.csv.gz` }]));
    expect((await errorOf(c.query(copySql('events_missing', `s3://${bucket}/stage/none.manifest`)))).code).toBe('XX000');
    await put('stage/twice.manifest', manifest([part1, part1]));
    await c.query(copySql('events_missing', `s3://${bucket}/stage/twice.manifest`));
    expect((await c.query('SELECT count(*)::int AS n FROM events_missing')).rows[0].n).toBe(15);
  });

  it('loads every key under a prefix without MANIFEST, and skips header lines per file', async () => {
    await c.query('CREATE TABLE plain (a INT, b VARCHAR(10))');
    await put('plain/2018-11-01.csv', 'a,b\n1,x\n2,y\n');
    await put('plain/2018-11-02.csv', 'a,b\n3,z\n');
    await c.query(`COPY plain FROM 's3://${bucket}/plain/' ${ROLE} CSV IGNOREHEADER 1`);
    expect((await c.query('SELECT a, b FROM plain ORDER BY a')).rows).toEqual([{ a: 1, b: 'x' }, { a: 2, b: 'y' }, { a: 3, b: 'z' }]);
    const err = await errorOf(c.query(`COPY plain FROM 's3://${bucket}/nothing-here/' ${ROLE} CSV`));
    expect(err.message).toBe("The specified S3 prefix 'nothing-here/' does not exist");
  });

  it('records bad rows in stl_load_errors and loads the rest under MAXERROR', async () => {
    await c.query('CREATE TABLE strict_csv (id INT NOT NULL, name VARCHAR(4), ts TIMESTAMP)');
    await put('bad/rows.csv', ['1,ok,2018-11-01 00:00:00', 'x2,ok,2018-11-01 00:00:00', '3,toolong,2018-11-01 00:00:00', '4,ok,yesterday', ',ok,2018-11-01 00:00:00', '6,ok', '7,ok,2018-11-01 00:00:00,extra', '8,é€,2018-11-01 00:00:00'].join('\n'));
    await c.query('BEGIN');
    await c.query(`COPY strict_csv FROM 's3://${bucket}/bad/rows.csv' ${ROLE} CSV MAXERROR 10`);
    const id = (await c.query('SELECT pg_last_copy_id() AS id')).rows[0].id;
    await c.query('ROLLBACK');
    const errors = await c.query(
      `SELECT trim(filename) AS filename, line_number::int AS line, trim(colname) AS colname, trim(type) AS type, err_code, trim(err_reason) AS reason, trim(raw_field_value) AS value
         FROM stl_load_errors WHERE query = $1 ORDER BY line_number`,
      [id],
    );
    // The rows survive the ROLLBACK, as STL rows do.
    expect(errors.rows.map((r) => [r.line, r.colname, r.err_code])).toEqual([
      [2, 'id', 1207],
      [3, 'name', 1204],
      [4, 'ts', 1206],
      [5, 'id', 1213],
      [6, '', 1203],
      [7, '', 1202],
      [8, 'name', 1204],
    ]);
    expect(errors.rows[0]).toMatchObject({ filename: `s3://${bucket}/bad/rows.csv`, type: 'int4', reason: "Invalid digit, Value 'x', Pos 0, Type: Integer", value: 'x2' });
    expect(errors.rows[2].reason).toBe('Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS]');
    // With the default MAXERROR (0) the first bad row fails the load and nothing is kept.
    const err = await errorOf(c.query(`COPY strict_csv FROM 's3://${bucket}/bad/rows.csv' ${ROLE} CSV`));
    expect(err.code).toBe('XX000');
    expect(err.message).toBe("Load into table 'strict_csv' failed.  Check 'stl_load_errors' system table for details.");
    expect((await c.query('SELECT count(*)::int AS n FROM strict_csv')).rows[0].n).toBe(0);
    // TRUNCATECOLUMNS cuts VARCHAR values to their byte length instead.
    await c.query(`COPY strict_csv FROM 's3://${bucket}/bad/rows.csv' ${ROLE} CSV MAXERROR 100 TRUNCATECOLUMNS`);
    expect((await c.query('SELECT id, name FROM strict_csv WHERE id IN (3, 8) ORDER BY id')).rows).toEqual([{ id: 3, name: 'tool' }, { id: 8, name: 'é' }]);
  });

  it('treats invalid UTF-8 and NUL bytes as load errors, and replaces bad bytes with ACCEPTINVCHARS', async () => {
    await c.query('CREATE TABLE enc (id INT, s VARCHAR(10))');
    await put('enc/rows.csv', Buffer.concat([Buffer.from('1,fine\n2,"bad '), Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from('"\n3,"nul'), Buffer.from([0]), Buffer.from('here"\n')]));
    await c.query(`COPY enc FROM 's3://${bucket}/enc/rows.csv' ${ROLE} CSV MAXERROR 5`);
    const errors = await c.query('SELECT line_number::int AS line, err_code, trim(err_reason) AS reason FROM stl_load_errors WHERE query = pg_last_copy_id() ORDER BY 1');
    expect(errors.rows.map((r) => [r.line, r.err_code])).toEqual([[2, 1220], [3, 1220]]);
    expect(errors.rows[0].reason).toMatch(/^String contains invalid or unsupported UTF-8 codepoints. Bad UTF-8 hex sequence: e2 \(error 4\)$/);
    await c.query(`COPY enc FROM 's3://${bucket}/enc/rows.csv' ${ROLE} CSV MAXERROR 5 ACCEPTINVCHARS AS '^'`);
    expect((await c.query('SELECT s FROM enc WHERE id = 2')).rows).toEqual([{ s: 'bad ^(^' }]);
  });

  it('fails the COPY on a file that is not gzip when GZIP is given, and on a compressed manifest', async () => {
    await put('notgz/plain.csv', '1,x\n');
    const err = await errorOf(c.query(`COPY enc FROM 's3://${bucket}/notgz/plain.csv' ${ROLE} CSV GZIP`));
    expect(err.code).toBe('XX000');
    await put('stage/gz.manifest', gzipSync(manifest([{ url: `s3://${bucket}/notgz/plain.csv`, mandatory: true }])));
    expect((await errorOf(c.query(`COPY enc FROM 's3://${bucket}/stage/gz.manifest' ${ROLE} CSV MANIFEST`))).message).toMatch(/not in correct json format/);
  });

  it.each([
    [`COPY events_csv FROM 's3://b/k' CSV`, /IAM_ROLE/],
    [`COPY events_csv FROM 's3://b/k' ${ROLE} ACCESS_KEY_ID 'a' SECRET_ACCESS_KEY 'b' CSV`, /conflicting authorization/],
    [`COPY events_csv FROM 's3://b/k' IAM_ROLE 'arn:aws:iam::12345:role/x' CSV`, /Invalid IAM_ROLE/],
    [`COPY events_csv FROM 's3://b/k' CREDENTIALS 'aws_iam_role=nope' CSV`, /Invalid credentials/],
    [`COPY events_csv FROM 's3://b/k' ${ROLE} CSV ESCAPE`, /^CSV is not compatible with ESCAPE$/],
    [`COPY events_csv FROM 's3://b/k' ${ROLE} FORMAT AS JSON 'auto' DELIMITER ','`, /JSON is not compatible with DELIMITER/],
    [`COPY events_csv FROM 's3://b/k' ${ROLE} JSON 'auto' NULL AS 'x'`, /JSON is not compatible with NULL AS/],
    [`COPY events_csv FROM 's3://b/k' ${ROLE} CSV JSON 'auto'`, /JSON is not compatible with CSV/],
    [`COPY events_csv FROM 's3://b/k' ${ROLE} QUOTE '"'`, /QUOTE argument is only allowed with CSV/],
    [`COPY events_csv FROM 's3://b/k' ${ROLE} CSV MAXERROR 100001`, /MAXERROR/],
    [`COPY events_csv FROM 's3://b/k' ${ROLE} CSV GZIP GZIP`, /conflicting or redundant/],
    [`COPY events_csv FROM 's3://b/k' ${ROLE} CSV SOMETHING`, /syntax error at or near "SOMETHING"/],
    [`COPY events_csv FROM '/tmp/local.csv' ${ROLE} CSV`, /LOAD source is not supported/],
  ])('rejects %s', async (sql, message) => {
    const err = await errorOf(c.query(sql));
    expect(err.message).toMatch(message);
    expect(err.code).not.toBe('57P01');
  });

  it('accepts parameters in any order and the other authorization forms', async () => {
    await c.query('CREATE TABLE anyorder (a INT, b VARCHAR(10))');
    await put('order/x.psv', '1|one\n2|\\N\n');
    await c.query(`COPY anyorder FROM 's3://${bucket}/order/x.psv' REGION 'us-east-1' DELIMITER '|' ACCESS_KEY_ID 'AKIA' SECRET_ACCESS_KEY 'secret' SESSION_TOKEN 'tok' MAXERROR AS 0`);
    await c.query(`COPY anyorder (a, b) FROM 's3://${bucket}/order/x.psv' WITH CREDENTIALS AS 'aws_access_key_id=AKIA;aws_secret_access_key=secret' DELIMITER AS '|'`);
    const both = await errorOf(c.query(`COPY anyorder FROM 's3://${bucket}/order/x.psv' CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/x' IAM_ROLE DEFAULT`));
    expect(both.message).toMatch(/conflicting authorization/);
    await c.query(`COPY anyorder FROM 's3://${bucket}/order/x.psv' IAM_ROLE DEFAULT`);
    expect((await c.query('SELECT count(*)::int AS n, count(b)::int AS b FROM anyorder')).rows[0]).toEqual({ n: 6, b: 3 });
    const region = await errorOf(c.query(`COPY anyorder FROM 's3://${bucket}/order/x.psv' IAM_ROLE DEFAULT REGION 'eu-west-1'`));
    expect(region.message).toMatch(/must be addressed using the specified endpoint/);
  });
});
