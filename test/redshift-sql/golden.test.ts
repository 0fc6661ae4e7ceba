/**
 * Every statement the loader sends to Redshift, checked without a cluster.
 * No SQL parser knows Redshift's grammar (node-sql-parser's "redshift" mode
 * refuses DISTKEY and COPY yet accepts DISTINCT ON), so:
 *
 * 1. the statements are compared with golden files whose every clause is
 *    checked against the AWS documentation (golden/README.md says where);
 * 2. all of them are scanned for Postgres-only constructs Redshift lacks
 *    (REDSHIFT-FACTS §5) — this part needs no update when SQL changes.
 *
 * After a deliberate change: `npm run update-golden` (UPDATE_GOLDEN=1 npx vitest
 * run test/redshift-sql), then review the diff against the documentation before
 * committing. A missing golden file fails (test/support/golden.ts).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { goldenText } from '../support/golden.ts';
import { redshift } from '../../src/dialect/redshift.ts';
import { TableNames } from '../../src/dialect/sql.ts';
import { copyCsvManifest, copyJsonManifest } from '../../src/dialect/redshift-copy.ts';
import { incrementalBuildStatements, incrementalFinishStatements, writtenSongplaysSql } from '../../src/model/star-schema.ts';
import { fullBuildStatements } from '../../src/model/full-build.ts';
import { forgetObjects, lockForLoad, recordObjects } from '../../src/ledger/index.ts';
import { stagingColumns } from '../../src/common/datasets.ts';
import { REJECT_COLUMNS } from '../../src/ledger/index.ts';
import { eventJsonPaths } from '../../src/stage/redshift-direct.ts';
import { countDirectTemp, createDirectTemp, dropDirectTemp, emptyDirectTemp, insertFromDirectTemp, LAST_COPY_ID, SESSION_AND_START, unconvertibleDirectRows } from '../../src/dialect/redshift-direct.ts';
import { insertRejects } from '../../src/ledger/index.ts';
import { EVENT_FIELDS } from '../../src/common/datasets.ts';
import { ledgerStatements } from './ledger-statements.ts';

const names = new TableNames('dwh');
const m = { names, dialect: redshift };
const ROLE = 'arn:aws:iam::123456789012:role/dwhRole';

/** Captures what bookkeeping sends, without a server. */
async function captured(work: (client: { query(sql: string): Promise<{ rows: [] }> }) => Promise<void>): Promise<string[]> {
  const out: string[] = [];
  await work({ query: async (sql: string) => (out.push(sql), { rows: [] }) });
  return out;
}

async function allStatements(): Promise<Record<string, string[]>> {
  const object = { dataset: 'events' as const, key: 'log_data/2018/11/2018-11-01-events.json', size: 1, fingerprint: '"e"', etag: '"e"' };
  return {
    'ddl.sql': redshift.createTables(names),
    'drop.sql': redshift.dropTables(names),
    'model-full.sql': fullBuildStatements(m),
    'model-incremental.sql': [...incrementalBuildStatements(m, true).map((s) => s.sql), writtenSongplaysSql(m), ...incrementalFinishStatements(m)],
    'copy.sql': [
      copyCsvManifest({ table: names.t('stg_events'), columns: stagingColumns('events'), manifestUrl: 's3://staging/sparkify-run-1-ab/u1/rows.manifest', iamRole: ROLE }),
      copyCsvManifest({ table: names.t('etl_rejects'), columns: REJECT_COLUMNS, manifestUrl: 's3://staging/sparkify-run-1-ab/u1/rejects.manifest', iamRole: ROLE, region: 'us-west-2' }),
      copyJsonManifest({ table: 'tmp_direct_events', columns: stagingColumns('events').slice(0, -2), manifestUrl: 's3://staging/sparkify-run-1-ab/d1/source-0.manifest', iamRole: ROLE, jsonPaths: 's3://udacity-dend/log_json_path.json', maxError: 100000 }),
      copyJsonManifest({ table: 'tmp_direct_songs', columns: stagingColumns('songs').slice(0, -2), manifestUrl: 's3://staging/sparkify-run-1-ab/d1/source-1.manifest', iamRole: ROLE, jsonPaths: 'auto', maxError: 100000 }),
    ],
    'bookkeeping.sql': [
      ...(await captured((c) => lockForLoad(c as never, m))),
      ...redshift.afterStaging(names, ['stg_events', 'stg_songs']),
      ...(await captured((c) => forgetObjects(c as never, m, 'events', [object.key]))),
      ...(await captured((c) => forgetObjects(c as never, m, 'songs', ['song_data/A/A/A/TRAAAAW128F429D538.json']))),
      ...(await captured((c) => recordObjects(c as never, m, 1, [{ object, rows: 10, rejects: 0, format: 'ndjson' }], new Date(0)))),
    ],
    // Direct mode's load transaction: the temp table of one data set's COPYs, what it checks, moves and records.
    'direct.sql': [
      SESSION_AND_START,
      ...createDirectTemp('tmp_direct_events', EVENT_FIELDS),
      LAST_COPY_ID,
      unconvertibleDirectRows('tmp_direct_events').select,
      unconvertibleDirectRows('tmp_direct_events').remove,
      countDirectTemp('tmp_direct_events'),
      insertFromDirectTemp(names, 'stg_events', 'tmp_direct_events', stagingColumns('events').slice(0, -2)),
      emptyDirectTemp('tmp_direct_events'),
      dropDirectTemp('tmp_direct_events'),
      ...(await captured((c) => insertRejects(c as never, names, 1, [{ dataset: 'events', key: object.key, line: 0, field: 'ts', reason: 'r', raw: { text: '', escaped: false, truncated: false } }]))),
    ],
    ...(await ledgerStatements()),
  };
}

const golden = (name: string) => new URL(`./golden/${name}`, import.meta.url);
const render = (statements: string[]) => `${statements.map((s) => `${s};`).join('\n\n')}\n`;

describe('Redshift SQL', () => {
  it('matches the documented golden files', async () => {
    for (const [file, statements] of Object.entries(await allStatements())) {
      const text = render(statements);
      expect(text, file).toBe(goldenText(golden(file), text));
    }
  });

  it('uses nothing Redshift lacks (REDSHIFT-FACTS §5)', async () => {
    const forbidden: [RegExp, string][] = [
      [/\bON\s+CONFLICT\b/i, 'INSERT … ON CONFLICT'],
      [/\bRETURNING\b/i, 'RETURNING'],
      [/\bDISTINCT\s+ON\b/i, 'DISTINCT ON'],
      [/\bFROM\s+STDIN\b/i, 'COPY FROM STDIN'],
      [/\bTRUNCATE\b/i, 'TRUNCATE (commits the transaction)'],
      [/\bCOLLATE\b/i, 'COLLATE'],
      [/\bFILTER\s*\(/i, 'aggregate FILTER'],
      [/\bLATERAL\b/i, 'LATERAL'],
      [/\bCREATE\s+(UNIQUE\s+)?INDEX\b/i, 'CREATE INDEX'],
      [/\b(BIG|SMALL)?SERIAL\b/i, 'SERIAL'],
      [/\bGENERATED\b/i, 'GENERATED … AS IDENTITY'],
      [/\b\w+\s+(TEXT|JSONB?|BYTEA|UUID)\s*(,|\)|NOT\b)/i, 'a column type Redshift lacks or narrows (TEXT is VARCHAR(256))'],
      [/\bVARCHAR(?!\()/i, 'VARCHAR without a width (256 bytes)'],
      [/\bON\s+COMMIT\b/i, 'ON COMMIT'],
      [/::/, ':: casts (use CAST)'],
      [/\bANY\s*\(\s*\$/i, 'array parameters'],
      [/\bpg_(try_)?advisory/i, 'advisory locks'],
      [/\bSET\s+LOCAL\b/i, 'SET LOCAL'],
    ];
    for (const [file, statements] of Object.entries(await allStatements())) {
      for (const sql of statements) {
        const code = sql.replace(/'(?:[^']|'')*'/g, "''"); // literals may say anything
        for (const [pattern, what] of forbidden) expect(pattern.test(code), `${file}: ${what} in\n${sql}`).toBe(false);
      }
    }
  });

  it('writes the JSONPaths file of the staging columns, in the order of Udacity’s', () => {
    const udacity = JSON.parse(readFileSync(new URL('../../../shared/data/udacity-sample/log_json_path.json', import.meta.url), 'utf8'));
    expect(JSON.parse(eventJsonPaths())).toEqual(udacity);
  });
});
