import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asPostgresUrl, errorOf, startHarness, type Harness } from './test-harness.ts';

describe('Redshift stand-in: wire protocol', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('standin_protocol');
  });
  afterAll(async () => {
    await h.close();
  });

  it('logs in with MD5 and reports Redshift parameters', async () => {
    const client = await h.connect();
    const { rows } = await client.query('SELECT version() AS v, 1 + 1 AS two');
    expect(rows[0].v).toMatch(/^PostgreSQL 8\.0\.2 .*Redshift/);
    expect(rows[0].two).toBe(2);
    expect(h.standin.url()).toMatch(/^redshift:\/\/awsuser:Redshift1@127\.0\.0\.1:\d+\//);
  });

  it('reports server_version 8.0.2 and client_encoding UNICODE', async () => {
    const client = new pg.Client({ connectionString: asPostgresUrl(h.standin.url()) });
    const status = new Map<string, string>();
    const con = (client as unknown as { connection: { on(e: string, f: (m: { parameterName: string; parameterValue: string }) => void): void } }).connection;
    con.on('parameterStatus', (m) => status.set(m.parameterName, m.parameterValue));
    await client.connect();
    await client.end();
    expect(status.get('server_version')).toBe('8.0.2');
    expect(status.get('client_encoding')).toBe('UNICODE');
    expect(status.get('TimeZone')).toBe('UTC');
    expect(status.get('integer_datetimes')).toBe('on');
  });

  it('rejects a wrong password with 28P01', async () => {
    // pg lets the connection string win over `password`, so the wrong one goes in the URL.
    const err = await errorOf(h.connect({ connectionString: asPostgresUrl(h.standin.url()).replace(':Redshift1@', ':wrong@') }));
    expect(err.code).toBe('28P01');
  });

  it('refuses startup parameters Redshift does not know (42704)', async () => {
    const err = await errorOf(h.connect({ lock_timeout: 1000 } as Partial<pg.ClientConfig>));
    expect(err.code).toBe('42704');
    expect(err.message).toBe('unrecognized configuration parameter "lock_timeout"');
    const ok = await h.connect({ statement_timeout: 5000, application_name: 'standin-test' });
    expect((await ok.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('5s');
  });

  it('runs parameterized queries over the extended protocol', async () => {
    const client = await h.connect();
    expect((await client.query('SELECT $1::int + 1 AS n', [41])).rows[0].n).toBe(42);
    await client.query('CREATE TABLE ext (id int, name varchar(20))');
    await client.query('INSERT INTO ext VALUES ($1, $2), ($3, $4)', [1, 'one', 2, null]);
    const named = { name: 'by-id', text: 'SELECT name FROM ext WHERE id = $1' };
    expect((await client.query({ ...named, values: [1] })).rows).toEqual([{ name: 'one' }]);
    expect((await client.query({ ...named, values: [2] })).rows).toEqual([{ name: null }]);
    const err = await errorOf(client.query('SELECT $1::int', ['not a number']));
    expect(err.code).toBe('22P02');
    // The session is usable after an extended-protocol error.
    expect((await client.query('SELECT count(*)::int AS n FROM ext')).rows[0].n).toBe(2);
  });

  it('runs several statements of one Query message, all or nothing', async () => {
    const client = await h.connect();
    const results = (await client.query('CREATE TABLE multi (a int); INSERT INTO multi VALUES (1); SELECT a FROM multi')) as unknown as pg.QueryResult[];
    expect(results.map((r) => r.command)).toEqual(['CREATE', 'INSERT', 'SELECT']);
    expect(results[2].rows).toEqual([{ a: 1 }]);
    const err = await errorOf(client.query("INSERT INTO multi VALUES (2); INSERT INTO multi VALUES ('x')"));
    expect(err.code).toBe('22P02');
    expect((await client.query('SELECT count(*)::int AS n FROM multi')).rows[0].n).toBe(1);
  });

  it('tracks transaction status: BEGIN, error, ROLLBACK', async () => {
    const client = await h.connect();
    await client.query('CREATE TABLE tx (a int)');
    await client.query('BEGIN');
    await client.query('INSERT INTO tx VALUES (1)');
    const err = await errorOf(client.query('SELECT DISTINCT ON (a) a FROM tx'));
    expect(err.code).toBe('0A000');
    // After an error the transaction is aborted until ROLLBACK, as on the server.
    expect((await errorOf(client.query('SELECT 1'))).code).toBe('25P02');
    await client.query('ROLLBACK');
    expect((await client.query('SELECT count(*)::int AS n FROM tx')).rows[0].n).toBe(0);
  });

  it('reports error positions in the client text, past rewritten parts', async () => {
    const client = await h.connect();
    const sql = 'SELECT pg_last_copy_id(), nosuchcolumn';
    const err = await errorOf(client.query(sql));
    expect(err.code).toBe('42703');
    expect(Number(err.position)).toBe(sql.indexOf('nosuchcolumn') + 1);
  });
});

describe('Redshift stand-in: TLS', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'standin-tls-'));
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    const [key, cert] = await Promise.all([readFile(join(dir, 'key.pem')), readFile(join(dir, 'cert.pem'))]);
    h = await startHarness('standin_tls', { tls: { key, cert } });
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('upgrades to TLS on SSLRequest and still authenticates with MD5', async () => {
    const client = await h.connect({ ssl: { rejectUnauthorized: false } });
    const socket = (client as unknown as { connection: { stream: { encrypted?: boolean } } }).connection.stream;
    expect(socket.encrypted).toBe(true);
    expect((await client.query('SELECT 7 AS n')).rows[0].n).toBe(7);
    const wrong = asPostgresUrl(h.standin.url()).replace(':Redshift1@', ':nope@');
    const err = await errorOf(h.connect({ connectionString: wrong, ssl: { rejectUnauthorized: false } }));
    expect(err.code).toBe('28P01');
  });

  it('still serves clients that do not ask for TLS', async () => {
    const client = await h.connect();
    expect((await client.query('SELECT 1 AS n')).rows[0].n).toBe(1);
  });
});
