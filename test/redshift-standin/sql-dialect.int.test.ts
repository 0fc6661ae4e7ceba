import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { errorOf, startHarness, type Harness } from './test-harness.ts';

describe('Redshift stand-in: refusals', () => {
  let h: Harness;
  let c: pg.Client;
  beforeAll(async () => {
    h = await startHarness('standin_refusals');
    c = await h.connect();
    await c.query('CREATE TABLE r (id int, v varchar(50))');
    await c.query("INSERT INTO r VALUES (1, 'a')");
  });
  afterAll(async () => {
    await h.close();
  });

  const count = async (): Promise<number> => (await c.query('SELECT count(*)::int AS n FROM r')).rows[0].n;

  it('refuses COPY FROM STDIN with a syntax error at STDIN', async () => {
    const err = await errorOf(c.query('COPY r FROM STDIN'));
    expect(err.code).toBe('42601');
    expect(err.message).toBe('syntax error at or near "STDIN"');
    expect(Number(err.position)).toBe('COPY r FROM '.length + 1);
    const out = await errorOf(c.query('COPY (SELECT 1) TO STDOUT'));
    expect(out.message).toBe('syntax error at or near "("');
    expect(await count()).toBe(1);
  });

  it('refuses INSERT … ON CONFLICT and changes nothing', async () => {
    const err = await errorOf(c.query("INSERT INTO r VALUES (2, 'b') ON CONFLICT DO NOTHING"));
    expect(err.code).toBe('42601');
    expect(err.message).toBe('syntax error at or near "ON"');
    expect(await count()).toBe(1);
  });

  it('refuses SELECT DISTINCT ON', async () => {
    const err = await errorOf(c.query('SELECT DISTINCT ON (id) id, v FROM r'));
    expect(err.code).toBe('0A000');
    expect(err.message).toBe('SELECT DISTINCT ON is not supported');
  });

  it('is not fooled by the same words in literals, identifiers and comments', async () => {
    await c.query(`INSERT INTO r VALUES (3, 'ON CONFLICT DO NOTHING; RETURNING x') -- DISTINCT ON (x)`);
    await c.query(`SELECT "v" AS "returning", $$nextval('s')$$ AS t FROM r /* pg_advisory_lock(1) */ WHERE v LIKE '%DISTINCT ON%'`);
    const { rows } = await c.query('SELECT v FROM r WHERE id = 3');
    expect(rows[0].v).toBe('ON CONFLICT DO NOTHING; RETURNING x');
    // …and a refusal in the second statement of a message runs nothing of it.
    const err = await errorOf(c.query("INSERT INTO r VALUES (4, 'x'); INSERT INTO r VALUES (5, 'y') RETURNING id"));
    expect(err.message).toBe('syntax error at or near "RETURNING"');
    expect(await count()).toBe(2);
  });

  it.each([
    ['UPDATE r SET v = v RETURNING id', '42601', 'syntax error at or near "RETURNING"'],
    ['CREATE INDEX r_id ON r (id)', '0A000', 'CREATE INDEX is not supported'],
    ['CREATE TABLE s1 (id serial)', '0A000', 'Column "s1.id" has unsupported type "serial".'],
    ['CREATE TABLE s2 (id bigserial)', '0A000', 'Column "s2.id" has unsupported type "bigserial".'],
    ['CREATE TABLE s3 (j jsonb)', '0A000', 'Column "s3.j" has unsupported type "jsonb".'],
    ['CREATE TABLE s4 (u uuid)', '0A000', 'Column "s4.u" has unsupported type "uuid".'],
    ['CREATE TABLE s5 (b bytea)', '0A000', 'Column "s5.b" has unsupported type "bytea".'],
    ['CREATE TABLE s6 (i interval)', '0A000', 'Column "s6.i" has unsupported type "interval".'],
    ['CREATE TABLE s7 (a int[])', '0A000', 'Column "s7.a" has unsupported type "int[]".'],
    ['CREATE TABLE s8 (id int GENERATED ALWAYS AS IDENTITY)', '42601', 'syntax error at or near "ALWAYS"'],
    ['CREATE SEQUENCE sq', '42601', 'syntax error at or near "SEQUENCE"'],
    ["SELECT nextval('sq')", '42883', 'function nextval(unknown) does not exist'],
    ['SELECT pg_advisory_lock(42)', '42883', 'function pg_advisory_lock(integer) does not exist'],
    ['SELECT pg_try_advisory_lock(42)', '42883', 'function pg_try_advisory_lock(integer) does not exist'],
    ['SELECT pg_advisory_unlock(42)', '42883', 'function pg_advisory_unlock(integer) does not exist'],
    ['ALTER TABLE r ADD COLUMN IF NOT EXISTS w int', '42601', 'syntax error at or near "NOT"'],
    ['ALTER TABLE r ADD COLUMN w1 int, ADD COLUMN w2 int', '42601', 'syntax error at or near ","'],
    ["SELECT string_agg(v, ',') FROM r", '42883', 'function string_agg(unknown, unknown) does not exist'],
    ['SELECT * FROM (VALUES (1), (2)) t(x)', '0A000', 'VALUES list as a constant table is not supported'],
  ])('refuses %s', async (sql, code, message) => {
    const err = await errorOf(c.query(sql));
    expect({ code: err.code, message: err.message }).toEqual({ code, message });
  });

  it('restricts MERGE to a table source and plain WHEN clauses', async () => {
    await c.query('CREATE TABLE src (id int, v varchar(50))');
    await c.query("INSERT INTO src VALUES (1, 'new'), (9, 'nine')");
    await c.query('CREATE VIEW src_view AS SELECT * FROM src');
    const merge = (source: string, when = 'WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)'): string =>
      `MERGE INTO r USING ${source} s ON r.id = s.id ${when}`;
    expect((await errorOf(c.query(merge('(SELECT * FROM src)')))).code).toBe('0A000');
    expect((await errorOf(c.query(merge('src_view')))).code).toBe('0A000');
    expect((await errorOf(c.query(`WITH x AS (SELECT * FROM src) ${merge('x')}`))).code).toBe('42601');
    expect((await errorOf(c.query(merge('src', "WHEN MATCHED AND s.v <> '' THEN UPDATE SET v = s.v")))).message).toBe('syntax error at or near "AND"');
    await c.query(merge('src', "WHEN MATCHED THEN UPDATE SET v = CASE WHEN s.v = 'new' THEN 'NEW' ELSE s.v END WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)"));
    const { rows } = await c.query('SELECT id, v FROM r WHERE id IN (1, 9) ORDER BY id');
    expect(rows).toEqual([{ id: 1, v: 'NEW' }, { id: 9, v: 'nine' }]);
    // A target row matched by two source rows is Redshift's "multiple matches" error.
    await c.query("INSERT INTO src VALUES (1, 'dup')");
    const dup = await errorOf(c.query(merge('src')));
    expect(dup.message).toBe('Found multiple matches to update the same tuple.');
  });

  it('maps Redshift built-ins and system tables whatever the search_path', async () => {
    await c.query('SET search_path TO nowhere');
    const { rows } = await c.query("SELECT nvl(NULL, 'x') AS a, len('abc') AS b, getdate() IS NOT NULL AS c, pg_last_copy_id() AS d, (SELECT count(*) FROM stl_load_errors) >= 0 AS e");
    await c.query('SET search_path TO public');
    expect(rows[0]).toEqual({ a: 'x', b: 3, c: true, d: -1, e: true });
  });

  it('reads backslash escapes in string literals and has no E-strings', async () => {
    const { rows } = await c.query(String.raw`SELECT 'a\\b' AS a, 'c\N' AS b, 'it\'s' AS c, $$d\e$$ AS d`);
    expect(rows[0]).toEqual({ a: 'a\\b', b: 'cN', c: "it's", d: 'd\\e' });
    await c.query(String.raw`INSERT INTO r VALUES (30, 'x\\y')`);
    expect((await c.query('SELECT v FROM r WHERE id = 30')).rows[0].v).toBe('x\\y');
    const err = await errorOf(c.query("SELECT E'x' AS v"));
    expect([err.code, err.message]).toEqual(['42704', 'type "e" does not exist']);
  });

  it('runs NOW() on the leader node only: alone, not next to a table', async () => {
    expect((await c.query('SELECT now() IS NOT NULL AS ok')).rows).toEqual([{ ok: true }]);
    const err = await errorOf(c.query('SELECT id FROM r WHERE now() IS NOT NULL'));
    expect([err.code, err.message]).toEqual(['0A000', 'Specified types or functions (one per INFO message) not supported on Redshift tables.']);
    expect((await c.query('SELECT COUNT(*) > 0 AS ok FROM r WHERE getdate() IS NOT NULL')).rows).toEqual([{ ok: true }]);
  });

  it('knows Redshift configuration parameters, not Postgres-only ones', async () => {
    await c.query("SET query_group TO 'etl'");
    await c.query('SET enable_result_cache_for_session TO off');
    await c.query('SET statement_timeout = 60000');
    for (const sql of ['SET lock_timeout = 1000', 'SET idle_in_transaction_session_timeout = 0', 'SET IntervalStyle = iso_8601', 'SHOW server_version_num']) {
      const err = await errorOf(c.query(sql));
      expect(err.code, sql).toBe('42704');
    }
  });

  it('folds quoted identifiers to lower case, result columns included', async () => {
    await c.query('CREATE TABLE "MixedCase" ("userId" INT, "Level" VARCHAR(10))');
    await c.query(`INSERT INTO mixedcase (userid, "LEVEL") VALUES (1, 'free')`);
    const { rows, fields } = await c.query('SELECT "userId" AS "UserId", level FROM "MIXEDCASE"');
    expect(fields.map((f) => f.name)).toEqual(['userid', 'level']);
    expect(rows).toEqual([{ userid: 1, level: 'free' }]);
  });
});

describe('Redshift stand-in: DDL and transactions', () => {
  let h: Harness;
  let c: pg.Client;
  beforeAll(async () => {
    h = await startHarness('standin_ddl');
    c = await h.connect();
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates tables with Redshift distribution, sort, encoding and identity clauses', async () => {
    await c.query(`
      CREATE TABLE songplays (
        songplay_id BIGINT IDENTITY(0, 1) PRIMARY KEY,
        start_time TIMESTAMP NOT NULL SORTKEY,
        user_id INTEGER NOT NULL ENCODE az64,
        song_id VARCHAR DISTKEY,
        title TEXT ENCODE zstd,
        note VARCHAR(MAX)
      ) DISTSTYLE KEY BACKUP NO`);
    await c.query(`CREATE TABLE users (user_id INT PRIMARY KEY, level VARCHAR(10) ENCODE bytedict) DISTSTYLE ALL COMPOUND SORTKEY (user_id, level) ENCODE AUTO`);
    await c.query('CREATE TABLE t_auto (a INT, b INT) DISTSTYLE AUTO SORTKEY AUTO');
    await c.query('CREATE TABLE t_inter (a INT, b INT) DISTKEY(a) INTERLEAVED SORTKEY (a, b)');
    await c.query("INSERT INTO songplays (start_time, user_id, song_id, title) VALUES ('2018-11-01 00:00:00', 1, 'S1', 't1'), ('2018-11-02 00:00:00', 2, 'S2', 't2')");
    const { rows } = await c.query('SELECT songplay_id FROM songplays ORDER BY songplay_id');
    expect(rows.map((r) => Number(r.songplay_id))).toEqual([0, 1]);
    // Types as Redshift has them: TEXT and bare VARCHAR are VARCHAR(256), VARCHAR(MAX) is 65535
    // (rs_varchar: VARCHAR compared as Redshift compares it, varchar-type.ts).
    const db = await h.direct();
    const cols = await db.query(
      "SELECT attname AS column_name, atttypmod - 4 AS len FROM pg_attribute WHERE attrelid = 'songplays'::regclass AND atttypid = 'rs_varchar'::regtype ORDER BY attname",
    );
    expect(cols.rows).toEqual([
      { column_name: 'note', len: 65535 },
      { column_name: 'song_id', len: 256 },
      { column_name: 'title', len: 256 },
    ]);
  });

  it('validates distribution and sort keys', async () => {
    const bad = [
      'CREATE TABLE k1 (a INT, b INT) DISTSTYLE ALL DISTKEY(a)',
      'CREATE TABLE k2 (a INT DISTKEY, b INT) DISTSTYLE EVEN',
      'CREATE TABLE k3 (a INT, b INT) DISTKEY(a, b)',
      'CREATE TABLE k4 (a INT DISTKEY, b INT DISTKEY)',
      'CREATE TABLE k5 (a INT) DISTSTYLE KEY',
      'CREATE TABLE k6 (a INT) SORTKEY (nope)',
      'CREATE TABLE k7 (a INT SORTKEY) SORTKEY (a)',
      'CREATE TABLE k8 (a INT ENCODE fancy)',
      'CREATE TABLE k9 (a INT) DISTSTYLE SOMETIMES',
      'CREATE TABLE k10 (a SMALLINT IDENTITY(1, 1))',
    ];
    for (const sql of bad) {
      const err = await errorOf(c.query(sql));
      expect(err.code, sql).toMatch(/^(42601|0A000|42703|22023)$/);
    }
    const { rows } = await c.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'k%'");
    expect(rows[0].n).toBe(0);
  });

  it('counts VARCHAR lengths in bytes, as Redshift does', async () => {
    await c.query('CREATE TABLE vb (s VARCHAR(2), t VARCHAR(4))');
    await c.query("INSERT INTO vb VALUES ('ab', 'é')");
    const err = await errorOf(c.query("INSERT INTO vb (s) VALUES ('€')"));
    expect(err.code).toBe('22001');
    expect(err.message).toBe('value too long for type character varying(2)');
    expect((await errorOf(c.query("UPDATE vb SET t = 'éé€'"))).code).toBe('22001');
    await c.query("INSERT INTO vb (t) VALUES ('😀')");
    await c.query('ALTER TABLE vb ADD COLUMN u VARCHAR(3)');
    expect((await errorOf(c.query("INSERT INTO vb (u) VALUES ('éé')"))).message).toBe('value too long for type character varying(3)');
    await c.query('ALTER TABLE vb ALTER COLUMN s TYPE VARCHAR(3)');
    await c.query("INSERT INTO vb (s) VALUES ('€')");
    expect((await c.query('SELECT count(*)::int AS n FROM vb')).rows[0].n).toBe(3);
  });

  it('moves rows with ALTER TABLE APPEND outside transactions only', async () => {
    await c.query('CREATE TABLE app_tgt (a INT, b VARCHAR(5))');
    await c.query('CREATE TABLE app_src (a INT, b VARCHAR(5), extra INT)');
    await c.query("INSERT INTO app_src VALUES (1, 'x', 9), (2, 'y', 9)");
    expect((await errorOf(c.query('ALTER TABLE app_tgt APPEND FROM app_src'))).message).toMatch(/IGNOREEXTRA/);
    await c.query('BEGIN');
    expect((await errorOf(c.query('ALTER TABLE app_tgt APPEND FROM app_src IGNOREEXTRA'))).code).toBe('25001');
    await c.query('ROLLBACK');
    await c.query('ALTER TABLE app_tgt APPEND FROM app_src IGNOREEXTRA');
    expect((await c.query('SELECT count(*)::int AS n FROM app_tgt')).rows[0].n).toBe(2);
    expect((await c.query('SELECT count(*)::int AS n FROM app_src')).rows[0].n).toBe(0);
    // ALTER COLUMN TYPE is refused inside a transaction block as well.
    await c.query('BEGIN');
    expect((await errorOf(c.query('ALTER TABLE app_tgt ALTER COLUMN b TYPE VARCHAR(10)'))).code).toBe('25001');
    await c.query('ROLLBACK');
  });

  it('does not enforce PRIMARY KEY or UNIQUE, like Redshift', async () => {
    await c.query('CREATE TABLE pk (id INT PRIMARY KEY, code VARCHAR(5) UNIQUE, ref INT REFERENCES pk (id))');
    await c.query("INSERT INTO pk VALUES (1, 'a', 99), (1, 'a', 98)");
    expect((await c.query('SELECT count(*)::int AS n FROM pk')).rows[0].n).toBe(2);
    // …but a primary key column is still NOT NULL.
    expect((await errorOf(c.query("INSERT INTO pk VALUES (NULL, 'b', 1)"))).code).toBe('23502');
  });

  it('commits the open transaction when TRUNCATE runs inside BEGIN', async () => {
    await c.query('CREATE TABLE staged (a INT)');
    await c.query('CREATE TABLE other (a INT)');
    await c.query('INSERT INTO staged VALUES (1), (2)');
    await c.query('BEGIN');
    await c.query('INSERT INTO other VALUES (10)');
    await c.query('TRUNCATE staged');
    await c.query('INSERT INTO other VALUES (11)');
    await c.query('ROLLBACK');
    // Work before TRUNCATE (and TRUNCATE itself) was committed; the session then ran without a transaction block.
    expect((await c.query('SELECT count(*)::int AS n FROM staged')).rows[0].n).toBe(0);
    expect((await c.query('SELECT a FROM other ORDER BY a')).rows.map((r) => r.a)).toEqual([10, 11]);
    // Control: without TRUNCATE the same ROLLBACK undoes the insert.
    await c.query('BEGIN');
    await c.query('INSERT INTO other VALUES (12)');
    await c.query('ROLLBACK');
    expect((await c.query('SELECT count(*)::int AS n FROM other')).rows[0].n).toBe(2);
    expect((await errorOf(c.query('TRUNCATE staged, other'))).code).toBe('42601');
  });
});
