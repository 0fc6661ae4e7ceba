/** What each dialect answers for the pieces the warehouse layer asks it for instead of branching on its name. */
import { describe, expect, it } from 'vitest';
import { postgres } from '../../src/dialect/postgres.ts';
import { redshift } from '../../src/dialect/redshift.ts';
import type { Queryable } from '../../src/dialect/carry-over.ts';
import { TableNames } from '../../src/dialect/sql.ts';
import { LEASE_TABLE, OWNED_TABLES, SONG_MATCH_TABLE, USER_LATEST_TABLE } from '../../src/ledger/names.ts';

const names = new TableNames('dwh');
/** A connection that records what it is sent and answers with `rows`, or fails. */
const db = (answer: { rows?: Record<string, unknown>[]; error?: Error }) => {
  const sent: string[] = [];
  const query = async (sql: string) => {
    sent.push(sql);
    if (answer.error) throw answer.error;
    return { rows: answer.rows ?? [] };
  };
  return { sent, query } as unknown as Queryable & { sent: string[] };
};

describe('dialects', () => {
  it('take the tables other loads write only where the warehouse needs it', () => {
    expect(postgres.lockTables(['"dwh"."a"', '"dwh"."b"'])).toEqual([]);
    expect(redshift.lockTables(['"dwh"."a"', '"dwh"."b"'])).toEqual(['LOCK "dwh"."a", "dwh"."b"']);
  });

  it('hold the run lock as advisory locks (Postgres) or a lease row (Redshift), and bound lock waits only where they can', () => {
    expect(postgres.runLock.kind).toBe('advisory');
    expect(redshift.runLock.kind).toBe('lease');
    expect(postgres.lockTimeoutMs(60)).toBe(60_000);
    expect(redshift.lockTimeoutMs(60)).toBeUndefined();
    expect(postgres.diagnostics).toBeDefined();
    expect(redshift.diagnostics).toBeUndefined();
  });

  it('drop every table holding data, and keep Redshift\'s lease of the command that resets', () => {
    const drops = (tables: readonly string[]) => tables.map((t) => `DROP TABLE IF EXISTS ${names.t(t)}`);
    expect(redshift.dropTables(names)).toEqual(drops(OWNED_TABLES));
    // Postgres keeps each user's latest event in the ledger too.
    expect(postgres.dropTables(names)).toEqual(drops([...OWNED_TABLES, USER_LATEST_TABLE, SONG_MATCH_TABLE]));
    expect(redshift.createTables(names).filter((sql) => sql.includes(names.t(LEASE_TABLE)))).toHaveLength(1);
    expect(postgres.createTables(names).filter((sql) => sql.includes(LEASE_TABLE))).toEqual([]);
  });

  it('refuse a case-insensitive database: Redshift asks DB_COLLATION(), Postgres has no such database', async () => {
    const untouched = db({ error: new Error('not asked') });
    expect(await postgres.caseInsensitive(untouched)).toBe(false);
    expect(untouched.sent).toEqual([]);
    expect(await redshift.caseInsensitive(db({ rows: [{ c: 'case_insensitive ' }] }))).toBe(true);
    expect(await redshift.caseInsensitive(db({ rows: [{ c: 'case_sensitive' }] }))).toBe(false);
    // A cluster from before database collations has no DB_COLLATION(): case-sensitive.
    expect(await redshift.caseInsensitive(db({ error: new Error('function db_collation() does not exist') }))).toBe(false);
  });

  it('read enforced keys from the Postgres catalog; Redshift enforces none and asks nothing', async () => {
    const asked = db({ rows: [{ table_name: 'users', columns: 'user_id', not_null: true }, { table_name: 'songplays', columns: 'session_id,item_in_session', not_null: false }] });
    expect(await postgres.enforcedKeys(asked, names)).toEqual(new Set(['users(user_id)']));
    expect(asked.sent).toHaveLength(1);
    const untouched = db({ error: new Error('not asked') });
    expect(await redshift.enforcedKeys(untouched, names)).toEqual(new Set());
    expect(untouched.sent).toEqual([]);
  });
});
