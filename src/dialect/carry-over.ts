/**
 * What a full build must carry from a live star table to the fresh table that
 * replaces it, so that swapping them loses nothing the analysts set up:
 * grants everywhere, and on Postgres also comments and indexes they added.
 * Anything a swap cannot carry (a dependent view, a foreign key, a trigger,
 * a column someone added…) is a `blocker`: that table is then reloaded in
 * place instead, which keeps it as it is.
 */
import type pg from 'pg';
import type { StarTable } from '../common/datasets.ts';
import { grantStatement, parseAcl } from './shared.ts';
import { quoteIdent, quoteLiteral, type TableNames } from './sql.ts';
import type { Dialect } from './types.ts';

export type Queryable = Pick<pg.ClientBase, 'query'>;

export interface CarryOver {
  /** Run on the build table before the swap (GRANT, COMMENT, CREATE INDEX under a temporary name). */
  beforeSwap: string[];
  /** Run after the build table took the live name (indexes get their own names back). */
  afterRename: string[];
  /** Why the table cannot be swapped, if it cannot. */
  blocker?: string;
}

/** How a star table and its build table are named, for carrying over. */
export interface SwapPair {
  table: StarTable;
  build: string;
}

const empty = (): CarryOver => ({ beforeSwap: [], afterRename: [] });

/** Grants of each live table, given again on its build table; a blocker where its ACL holds what a GRANT cannot give back. */
export async function carryGrants(db: Queryable, d: Dialect, n: TableNames, pairs: readonly SwapPair[]): Promise<Map<StarTable, CarryOver>> {
  const out = new Map<StarTable, CarryOver>(pairs.map((p) => [p.table, empty()]));
  const { rows } = await db.query(d.aclSql(n, pairs.map((p) => p.table)), n.schema ? [n.schema] : []);
  for (const r of rows) {
    const pair = pairs.find((p) => p.table === r.table_name);
    if (!pair) continue;
    const grants = parseAcl(r.acl as string | null, r.owner as string, d.aclPrivileges);
    if (!grants) out.set(pair.table, { ...empty(), blocker: `its privileges (${String(r.acl)}) are not all ones a GRANT can give back` });
    else out.get(pair.table)!.beforeSwap.push(...grants.map((g) => grantStatement(n.t(pair.build), g)));
  }
  return out;
}

/**
 * Postgres: grants, comments and added indexes; blockers read from the
 * catalog. `ours` gives, per table, the columns, constraints and indexes the
 * loader itself creates on it.
 */
export async function carryOverPostgres(
  db: Queryable,
  d: Dialect,
  n: TableNames,
  pairs: readonly SwapPair[],
  ours: (table: StarTable) => { columns: readonly string[]; constraints: readonly string[]; indexes: readonly string[] },
): Promise<Map<StarTable, CarryOver>> {
  // One row per live table: its regclass and what the loader made on it.
  const tables = `(SELECT x.name, to_regclass(x.qualified) AS oid, x.constraints, x.columns, x.indexes
    FROM jsonb_to_recordset($1::jsonb) AS x(name text, qualified text, constraints text[], columns text[], indexes text[])) t`;
  const spec = JSON.stringify(pairs.map((p) => ({ name: p.table, qualified: n.t(p.table), ...ours(p.table) })));
  const blockers = await db.query(
    `SELECT DISTINCT name, reason FROM (SELECT t.name, 'view ' || v.oid::regclass::text AS reason FROM ${tables} JOIN pg_depend dep ON dep.refobjid = t.oid AND dep.classid = 'pg_rewrite'::regclass
       JOIN pg_rewrite r ON r.oid = dep.objid JOIN pg_class v ON v.oid = r.ev_class AND v.oid <> t.oid
     UNION ALL SELECT t.name, 'foreign key ' || c.conname || ' of ' || c.conrelid::regclass::text FROM ${tables} JOIN pg_constraint c ON c.confrelid = t.oid
     UNION ALL SELECT t.name, 'constraint ' || c.conname FROM ${tables} JOIN pg_constraint c ON c.conrelid = t.oid AND c.contype <> 'n' AND c.conname <> ALL(t.constraints)
     UNION ALL SELECT t.name, 'column ' || a.attname FROM ${tables} JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> ALL(t.columns)
     UNION ALL SELECT t.name, 'trigger ' || g.tgname FROM ${tables} JOIN pg_trigger g ON g.tgrelid = t.oid AND NOT g.tgisinternal
     UNION ALL SELECT t.name, 'policy ' || p.polname FROM ${tables} JOIN pg_policy p ON p.polrelid = t.oid
     UNION ALL SELECT t.name, 'row-level security' FROM ${tables} JOIN pg_class c ON c.oid = t.oid AND c.relrowsecurity
     UNION ALL SELECT t.name, 'child table ' || i.inhrelid::regclass::text FROM ${tables} JOIN pg_inherits i ON i.inhparent = t.oid
     UNION ALL SELECT t.name, 'statistics object ' || s.stxname FROM ${tables} JOIN pg_statistic_ext s ON s.stxrelid = t.oid
     UNION ALL SELECT t.name, 'publication ' || p.pubname FROM ${tables} JOIN pg_publication_rel r ON r.prrelid = t.oid JOIN pg_publication p ON p.oid = r.prpubid
     UNION ALL SELECT t.name, 'owner ' || pg_get_userbyid(c.relowner) FROM ${tables} JOIN pg_class c ON c.oid = t.oid AND pg_get_userbyid(c.relowner) <> current_user) b ORDER BY name, reason`,
    [spec],
  );
  const out = await carryGrants(db, d, n, pairs);
  for (const p of pairs) {
    const reasons = blockers.rows.filter((r) => r.name === p.table).map((r) => r.reason as string);
    if (reasons.length) out.set(p.table, { ...empty(), blocker: `it has ${reasons.join(', ')}` });
  }
  const build = (table: string) => n.t(pairs.find((p) => p.table === table)!.build);
  const comments = await db.query(
    `SELECT t.name, NULL AS col, obj_description(t.oid, 'pg_class') AS comment FROM ${tables} WHERE obj_description(t.oid, 'pg_class') IS NOT NULL
     UNION ALL SELECT t.name, a.attname, col_description(a.attrelid, a.attnum) FROM ${tables}
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped WHERE col_description(a.attrelid, a.attnum) IS NOT NULL`,
    [spec],
  );
  for (const r of comments.rows) {
    const carry = out.get(r.name as StarTable)!;
    const target = r.col === null ? `TABLE ${build(r.name)}` : `COLUMN ${build(r.name)}.${quoteIdent(r.col as string)}`;
    carry.beforeSwap.push(`COMMENT ON ${target} IS ${quoteLiteral(r.comment as string)}`);
  }
  const indexes = await db.query(
    `SELECT t.name, i.relname AS index, pg_get_indexdef(x.indexrelid) AS def FROM ${tables} JOIN pg_index x ON x.indrelid = t.oid
       JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relname <> ALL(t.indexes) ORDER BY t.name, i.relname`,
    [spec],
  );
  for (const [k, r] of indexes.rows.entries()) {
    const table = r.name as StarTable;
    const carry = out.get(table)!;
    if (carry.blocker) continue;
    const temporary = `${pairs.find((p) => p.table === table)!.build}_i${k}`;
    const def = retargetIndex(r.def as string, quoteIdent(temporary), build(table));
    if (!def) {
      out.set(table, { ...empty(), blocker: `its index ${r.index as string} cannot be re-created (${r.def as string})` });
      continue;
    }
    carry.beforeSwap.push(def);
    carry.afterRename.push(`ALTER INDEX ${n.schema ? `${quoteIdent(n.schema)}.` : ''}${quoteIdent(temporary)} RENAME TO ${quoteIdent(r.index as string)}`);
  }
  for (const [table, carry] of out) if (carry.blocker) out.set(table, { ...empty(), blocker: carry.blocker });
  return out;
}

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[^\s."]+)`;
const INDEX_DEF = new RegExp(String.raw`^(CREATE (?:UNIQUE )?INDEX) ${IDENT} ON (ONLY )?${IDENT}(?:\.${IDENT})? (USING [\s\S]*)$`);

/** `CREATE INDEX name ON s.t USING …` (pg_get_indexdef) as the same index under another name on another table. */
export function retargetIndex(def: string, name: string, table: string): string | undefined {
  const m = INDEX_DEF.exec(def);
  return m ? `${m[1]} ${name} ON ${m[2] ?? ''}${table} ${m[3]}` : undefined;
}
