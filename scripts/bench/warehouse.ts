/**
 * The Postgres server a benchmark runs against: its own embedded one (the
 * loader's default), or any server given by URL (`--target`), where it
 * creates and drops databases of its own (`sparkify_bench…`).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { silentLogger } from '../../src/common/log.ts';
import { openEmbedded } from '../../src/warehouse/embedded.ts';

export interface BenchWarehouse {
  /** `embedded` or the target URL without its password. */
  description: string;
  /** Connection URL of database `db` on this server. */
  url(db: string): string;
  /** Drops database `db` if it exists and creates it empty. */
  recreate(db: string): Promise<void>;
  drop(db: string): Promise<void>;
  /** The server's version and the settings that bound a load. */
  settings(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** Settings that decide how fast a load can be, as the server reports them. */
const SETTINGS = ['server_version', 'shared_buffers', 'work_mem', 'maintenance_work_mem', 'max_wal_size', 'wal_level', 'fsync', 'synchronous_commit', 'full_page_writes', 'max_parallel_workers_per_gather'];

export async function openBenchWarehouse(target: string | undefined): Promise<BenchWarehouse> {
  if (!target || target === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'sparkify-bench-pg-'));
    chmodSync(dir, 0o755);
    const server = await openEmbedded(dir, silentLogger);
    const c = server.connection;
    const base = new URL(`postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password!)}@${c.host}:${c.port}/postgres`);
    return serverAt(base, 'embedded', async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
  }
  const base = new URL(target);
  if (!/^postgres(ql)?:$/.test(base.protocol)) throw new Error(`--target must be a postgres:// URL, got ${base.protocol}`);
  if (base.pathname === '' || base.pathname === '/') base.pathname = '/postgres';
  const shown = new URL(base);
  shown.password = '';
  return serverAt(base, shown.toString(), async () => undefined);
}

function serverAt(admin: URL, description: string, close: () => Promise<void>): BenchWarehouse {
  const url = (db: string) => {
    const u = new URL(admin);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const withAdmin = async <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const ident = (db: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`bad database name ${db}`);
    return db;
  };
  return {
    description,
    url,
    recreate: (db) =>
      withAdmin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${ident(db)} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${ident(db)}`);
      }),
    drop: (db) => withAdmin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${ident(db)} WITH (FORCE)`))),
    settings: () =>
      withAdmin(async (c) => {
        const { rows } = await c.query(`SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)`, [SETTINGS]);
        return Object.fromEntries(rows.map((r) => [r.name, `${r.setting}${r.unit ? ` × ${r.unit}` : ''}`]));
      }),
    close,
  };
}
