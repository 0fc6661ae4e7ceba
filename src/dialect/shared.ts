/** Pieces of SQL both dialects write the same way. */
import { EVENT_FIELDS, TS_MAX, TS_MIN } from '../common/datasets.ts';
import { quoteIdent } from './sql.ts';

const TS_FIELD = EVENT_FIELDS.find((f) => f.json === 'ts')!;

/** The user id of a staged event as INTEGER ('' and NULL give NULL). */
export const userIdInt = (expr: string): string => `CAST(NULLIF(${expr}, '') AS INTEGER)`;

/**
 * Staged event values the model step cannot convert — a ts no TIMESTAMP
 * holds, a user id that is not an INTEGER — as conditions on alias `e`, with
 * what each breaks. Validation rejects them (SPEC §3); staging filled without
 * it (Redshift direct mode, an older loader) may hold them, and one such row
 * would fail every model step.
 */
export function unconvertibleEvent(alias = 'e'): { field: string; column: string; where: string; problem: string }[] {
  const id = `LTRIM(${alias}.user_id, '0')`;
  return [
    { field: 'ts', column: 'ts', where: `(${alias}.ts < ${TS_MIN} OR ${alias}.ts > ${TS_MAX})`, problem: TS_FIELD.range!.meaning },
    {
      field: 'userId',
      column: 'user_id',
      where: `(${alias}.user_id <> '' AND (${alias}.user_id !~ '^[0-9]+$' OR LENGTH(${id}) > 10 OR (LENGTH(${id}) = 10 AND ${id} > '2147483647')))`,
      problem: '"" or an integer in int32 range, so it cannot be a user_id',
    },
  ];
}

/** Order of "latest" for users: SPEC §4, then lineage to break exact ties. */
export const LATEST_EVENT_ORDER = (byteOrder: (e: string) => string, alias = 'e'): string =>
  `${alias}.ts DESC, ${alias}.session_id DESC, ${alias}.item_in_session DESC, ${byteOrder(`${alias}.source_key`)} DESC, ${alias}.source_line DESC`;

/** One privilege a table's ACL gives a role (or PUBLIC), as a GRANT would give it back. */
export interface Grant {
  /** Role name, `group NAME` (Redshift), or undefined for PUBLIC. */
  grantee: string | undefined;
  privilege: string;
  withGrantOption: boolean;
}

/**
 * Reads an ACL as its text form prints (`{alice=arw/owner,=r/owner,"group bi=r/owner"}`)
 * into grants, leaving out the owner's own. Returns undefined when an item or
 * a privilege letter is not understood: the caller then keeps the table (and
 * its ACL) in place rather than lose a grant.
 */
export function parseAcl(text: string | null | undefined, owner: string, letters: Readonly<Record<string, string>>): Grant[] | undefined {
  if (text === null || text === undefined || text === '') return [];
  const items = arrayItems(text);
  if (!items) return undefined;
  const grants: Grant[] = [];
  for (const item of items) {
    const m = /^((?:[^"=]|"(?:[^"]|"")*")*)=([A-Za-z*]*)\/(.+)$/.exec(item);
    if (!m) return undefined;
    const grantee = m[1] === '' ? undefined : unquoteRole(m[1]);
    if (grantee === owner) continue;
    const privs = m[2];
    for (let i = 0; i < privs.length; i++) {
      const privilege = letters[privs[i]];
      if (!privilege) return undefined;
      const withGrantOption = privs[i + 1] === '*';
      if (withGrantOption) i++;
      grants.push({ grantee, privilege, withGrantOption });
    }
  }
  return grants;
}

/** Items of an array literal `{a,"b c",d}` (quoted items may escape `"` and `\` with a backslash). */
function arrayItems(text: string): string[] | undefined {
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  const body = text.slice(1, -1);
  const items: string[] = [];
  let i = 0;
  while (i < body.length) {
    let item = '';
    if (body[i] === '"') {
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        item += body[i++] ?? '';
      }
      if (body[i] !== '"') return undefined;
      i++;
    } else {
      while (i < body.length && body[i] !== ',') item += body[i++];
    }
    items.push(item);
    if (i < body.length) {
      if (body[i] !== ',') return undefined;
      i++;
    }
  }
  return items;
}

/** `"a ""b"""` → `a "b"`; `group bi` stays as it is (a Redshift group). */
function unquoteRole(role: string): string {
  return role.startsWith('"') && role.endsWith('"') ? role.slice(1, -1).replaceAll('""', '"') : role;
}

/** The GRANT that gives `grant` back on `table`. */
export function grantStatement(table: string, grant: Grant): string {
  const to = grant.grantee === undefined ? 'PUBLIC' : grant.grantee.startsWith('group ') ? `GROUP ${quoteIdent(grant.grantee.slice(6))}` : quoteIdent(grant.grantee);
  return `GRANT ${grant.privilege} ON ${table} TO ${to}${grant.withGrantOption ? ' WITH GRANT OPTION' : ''}`;
}
