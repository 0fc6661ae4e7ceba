/**
 * Redshift's VARCHAR semantics on Postgres: a type `rs_varchar(n)` that
 * stores text as is but compares it ignoring trailing blanks, in `=`, `<`…,
 * IN, joins, GROUP BY, PARTITION BY and DISTINCT alike ("trailing blanks in
 * VARCHAR values are ignored when compared", `'a' = 'a '`)
 * [DG:r_Character_types; REDSHIFT-FACTS §5], and case-insensitively too when
 * the database was created COLLATE CASE_INSENSITIVE [DG:r_CREATE_DATABASE].
 * LIKE and `||` see the stored text (LIKE does not ignore trailing blanks,
 * DG:r_patternmatching_condition_like): the type casts implicitly to text for
 * every function and operator it does not define itself.
 *
 * Built from Postgres' own text functions (textin, textout…), with its
 * comparison, btree and hash support in SQL; it lives in pg_catalog so that
 * operator lookup finds it whatever the client's search_path. Needs a
 * superuser upstream (the test Postgres).
 */
import type { Cluster } from './cluster.ts';

const T = 'pg_catalog.rs_varchar';
const op = (name: string) => `OPERATOR(pg_catalog.${name})`;
const fn = (name: string, returns: string, body: string) =>
  `CREATE OR REPLACE FUNCTION pg_catalog.${name}(${T}, ${T}) RETURNS ${returns} LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$SELECT ${body}$$;`;

const COMPARISONS: [string, string, string, string, string, string][] = [
  // name, function, commutator, negator, restrict, join
  ['=', 'rs_varchar_eq', '=', '<>', 'eqsel', 'eqjoinsel'],
  ['<>', 'rs_varchar_ne', '<>', '=', 'neqsel', 'neqjoinsel'],
  ['<', 'rs_varchar_lt', '>', '>=', 'scalarltsel', 'scalarltjoinsel'],
  ['<=', 'rs_varchar_le', '>=', '>', 'scalarlesel', 'scalarlejoinsel'],
  ['>', 'rs_varchar_gt', '<', '<=', 'scalargtsel', 'scalargtjoinsel'],
  ['>=', 'rs_varchar_ge', '<=', '<', 'scalargesel', 'scalargejoinsel'],
];

/** Creates the type once per database; (re)defines how it compares for this cluster's collation. */
export function varcharTypeSql(cluster: Cluster): string {
  const key = cluster.caseInsensitive ? `lower(rtrim($1::text, ' '))` : `rtrim($1::text, ' ')`;
  const create = [
    `CREATE TYPE ${T};`,
    `CREATE FUNCTION pg_catalog.rs_varchar_in(cstring) RETURNS ${T} LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textin';`,
    `CREATE FUNCTION pg_catalog.rs_varchar_out(${T}) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textout';`,
    `CREATE FUNCTION pg_catalog.rs_varchar_recv(internal) RETURNS ${T} LANGUAGE internal STABLE STRICT PARALLEL SAFE AS 'textrecv';`,
    `CREATE FUNCTION pg_catalog.rs_varchar_send(${T}) RETURNS bytea LANGUAGE internal STABLE STRICT PARALLEL SAFE AS 'textsend';`,
    `CREATE TYPE ${T} (INPUT = pg_catalog.rs_varchar_in, OUTPUT = pg_catalog.rs_varchar_out, RECEIVE = pg_catalog.rs_varchar_recv, SEND = pg_catalog.rs_varchar_send,
       TYPMOD_IN = pg_catalog.varchartypmodin, TYPMOD_OUT = pg_catalog.varchartypmodout, LIKE = text, CATEGORY = 'S', COLLATABLE = true);`,
    `CREATE CAST (${T} AS text) WITHOUT FUNCTION AS IMPLICIT;`,
    `CREATE CAST (text AS ${T}) WITHOUT FUNCTION AS ASSIGNMENT;`,
    `CREATE CAST (varchar AS ${T}) WITHOUT FUNCTION AS ASSIGNMENT;`,
    `CREATE FUNCTION pg_catalog.rs_varchar_key(${T}) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$SELECT ${key}$$;`,
    ...COMPARISONS.map(([name, f]) => fn(f, 'boolean', `pg_catalog.rs_varchar_key($1) ${name} pg_catalog.rs_varchar_key($2)`)),
    fn('rs_varchar_cmp', 'integer', 'pg_catalog.bttextcmp(pg_catalog.rs_varchar_key($1), pg_catalog.rs_varchar_key($2))'),
    `CREATE FUNCTION pg_catalog.rs_varchar_hash(${T}) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$SELECT pg_catalog.hashtext(pg_catalog.rs_varchar_key($1))$$;`,
    ...COMPARISONS.map(
      ([name, f, commutator, negator, restrict, join]) =>
        `CREATE OPERATOR pg_catalog.${name} (LEFTARG = ${T}, RIGHTARG = ${T}, FUNCTION = pg_catalog.${f}, COMMUTATOR = ${op(commutator)}, NEGATOR = ${op(negator)},
           RESTRICT = ${restrict}, JOIN = ${join}${name === '=' ? ', HASHES, MERGES' : ''});`,
    ),
    `CREATE OPERATOR CLASS pg_catalog.rs_varchar_ops DEFAULT FOR TYPE ${T} USING btree AS
       OPERATOR 1 pg_catalog.<, OPERATOR 2 pg_catalog.<=, OPERATOR 3 pg_catalog.=, OPERATOR 4 pg_catalog.>=, OPERATOR 5 pg_catalog.>, FUNCTION 1 pg_catalog.rs_varchar_cmp(${T}, ${T});`,
    `CREATE OPERATOR CLASS pg_catalog.rs_varchar_hash_ops DEFAULT FOR TYPE ${T} USING hash AS OPERATOR 1 pg_catalog.=, FUNCTION 1 pg_catalog.rs_varchar_hash(${T});`,
  ];
  return `DO $do$ BEGIN
  IF to_regtype('${T}') IS NULL THEN
    ${create.map((s) => `EXECUTE ${dollar(s)};`).join('\n    ')}
  END IF;
END $do$;
CREATE OR REPLACE FUNCTION pg_catalog.rs_varchar_key(${T}) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$SELECT ${key}$$;`;
}

/** A statement as a dollar-quoted literal (none of them contains `$q$`). */
const dollar = (sql: string) => `$q$${sql}$q$`;

/** The Postgres type of a Redshift VARCHAR(n). */
export const rsVarchar = (n: number): string => `rs_varchar(${n})`;
