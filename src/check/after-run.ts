/**
 * The checks every etl run ends with, from what the run already knows, so
 * that they cost a small share of the run instead of a scan of every table:
 *
 * - row counts are the run's own (tableCounts: the ledger and the model step's
 *   counts), with one-row probes for whether a table should have rows;
 * - keys a unique index on NOT NULL columns enforces (Postgres) need no
 *   counting; others (Redshift) are counted as `sparkify check` counts them;
 * - references and reconciliation: an incremental step checked the songplays
 *   it wrote before committing them (model.written); after a full build, one
 *   pass over songplays checks its users, songs and artists, while its time
 *   rows and its count come from the same winning plays by construction;
 *   a run that changed no star table leaves them as the last check found them;
 * - double-encoded names: staging's are those of the events the run staged
 *   (found through the source_key index; when that is all of them, a full
 *   build read them beside its work, on a session it left idle), the star
 *   tables' are read whole.
 *
 * `sparkify check` (runChecks) verifies everything over the whole tables.
 */
import type { ModelResult } from '../model/index.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import type { Queryable } from '../dialect/carry-over.ts';
import { LEDGER } from '../ledger/index.ts';
import { runSpecs } from './index.ts';
import { mojibakeCheck, stagingNamesSelect } from './mojibake.ts';
import type { BesideReads } from '../model/index.ts';
import { KEYS, ROW_TABLES, groupKey, hasRows, keyCheck, keyName, plural, rejectsSummary, rowSources, type CheckResult } from './checks.ts';

export interface RunFacts {
  /** The run's etl_runs id: its objects in etl_objects carry it. */
  runId?: number;
  model?: ModelResult;
  /** Row counts after the run, by table. */
  tables: Record<string, number>;
}

const REFERENCES = [
  ['user_id', 'users', 'noUser'],
  ['start_time', 'time', 'noTime'],
  ['song_id', 'songs', 'noSong'],
  ['artist_id', 'artists', 'noArtist'],
] as const;

const STAGING_NAMES = 'staging names';

/**
 * What the checks after a run would read of staging, for a full build to read beside its work on a
 * session it leaves idle (model/full-build.ts): every staged event's names. The checks use it when
 * they would read every staged event (the run staged them all: a first load, a full refresh).
 */
export function stagingReadsBesideModel(wh: Warehouse): BesideReads {
  return { queries: { [STAGING_NAMES]: stagingNamesSelect(wh.names) }, rows: {} };
}

/**
 * The checks after an etl run, in the order and with the names of `sparkify check`. Read-only.
 * Its queries do not depend on each other: on a pool they run side by side, each on its own
 * connection, so the checks take as long as the longest of them (the names check, unless the
 * full build read staging's names already: `beside`, from stagingReadsBesideModel).
 */
export async function checksAfterRun(wh: Warehouse, run: RunFacts, db: Queryable = wh.pool, beside?: BesideReads): Promise<CheckResult[]> {
  const n = wh.names;
  const sources = rowSources(n);
  const names = async () => {
    const staged = await stagedByRun(wh, run, db);
    // A full build may still be reading staging's names beside it, past its swap.
    await beside?.settled;
    return mojibakeCheck(n, staged, staged === undefined ? beside?.rows[STAGING_NAMES] : undefined);
  };
  const [probes, keys, refs, last] = await Promise.all([
    db.query(`SELECT ${ROW_TABLES.map((t) => `${sources[t][0]} AS ${t}`).join(', ')}`).then((r) => r.rows[0]),
    keyChecks(wh, run, db),
    references(wh, run, db),
    Promise.all([rejectsSummary(n), names()].map(async (spec) => runSpecs(db, [await spec]))).then((r) => r.flat()),
  ]);
  const rows: CheckResult[] = ROW_TABLES.map((t) => hasRows(t, run.tables[t] ?? 0, Number(probes[t]), sources[t][1]));
  return [...rows, ...keys, ...refs, reconciliation(run), ...last];
}

/**
 * The stg_events rows the run staged, as a condition (read through the source_key index): undefined
 * when they are all the staged events (a first load, a full refresh), which a plain scan reads faster.
 */
async function stagedByRun(wh: Warehouse, run: RunFacts, db: Queryable): Promise<string | undefined> {
  if (run.runId === undefined) return 'FALSE';
  const objects = `${wh.names.t(LEDGER.objects)} WHERE dataset = 'events'`;
  const mine = `run_id = ${Number(run.runId)}`;
  const r = (await db.query(`SELECT SUM(CASE WHEN ${mine} THEN 1 ELSE 0 END) AS mine, COUNT(*) AS total FROM ${objects}`)).rows[0];
  return Number(r.mine ?? 0) === Number(r.total) ? undefined : wh.dialect.anyOf('source_key', `SELECT source_key FROM ${objects} AND ${mine}`);
}

async function keyChecks(wh: Warehouse, run: RunFacts, db: Queryable): Promise<CheckResult[]> {
  const enforced = await wh.dialect.enforcedKeys(db, wh.names);
  const written = run.model?.written;
  const results: CheckResult[] = [];
  for (const [table, columns] of KEYS) {
    const name = columns.length === 1 ? `${table}.${columns[0]} unique and not null` : `${table} (${columns.join(', ')}) unique and not null`;
    const count = plural(run.tables[table] ?? 0, 'row');
    if (enforced.has(keyName(table, columns))) results.push({ name, ok: true, detail: `${count}, enforced by a unique index on NOT NULL columns` });
    else if (written && table === 'songplays' && columns.length === 2)
      results.push({ name, ok: written.duplicatedKeys === 0, detail: `${count}; ${plural(written.duplicatedKeys, 'key')} held twice among the ${plural(written.rows, 'songplay')} this run wrote` });
    else results.push(...(await runSpecs(db, [keyCheck(wh.names.t(table), table, [...columns], false, groupKey(wh.dialect))])));
  }
  return results;
}

async function references(wh: Warehouse, run: RunFacts, db: Queryable): Promise<CheckResult[]> {
  const mode = run.model?.mode ?? 'none';
  const name = (column: string, parent: string) => `songplays.${column} in ${parent}`;
  const written = run.model?.written;
  if (mode === 'incremental' && written) {
    return REFERENCES.map(([column, parent, key]) => ({
      name: name(column, parent),
      ok: written[key] === 0,
      detail: `${plural(written[key], 'value')} of ${column} missing from ${parent}, in the ${plural(written.rows, 'songplay')} this run wrote`,
    }));
  }
  if (mode === 'full') {
    const n = wh.names;
    const r = (
      await db.query(`SELECT COUNT(*) AS total,
  SUM(CASE WHEN u.user_id IS NULL THEN 1 ELSE 0 END) AS no_user,
  SUM(CASE WHEN p.song_id IS NOT NULL AND s.song_id IS NULL THEN 1 ELSE 0 END) AS no_song,
  SUM(CASE WHEN p.artist_id IS NOT NULL AND a.artist_id IS NULL THEN 1 ELSE 0 END) AS no_artist
FROM ${n.t('songplays')} p
LEFT JOIN ${n.t('users')} u ON u.user_id = p.user_id
LEFT JOIN ${n.t('songs')} s ON s.song_id = p.song_id
LEFT JOIN ${n.t('artists')} a ON a.artist_id = p.artist_id`)
    ).rows[0];
    const total = plural(Number(r.total), 'songplay');
    return REFERENCES.map(([column, parent]) => {
      if (parent === 'time') return { name: name(column, parent), ok: true, detail: `${total}; this run's full build made the time rows from the start times of the same plays (\`sparkify check\` verifies it)` };
      const missing = Number(r[`no_${parent.slice(0, -1)}`] ?? 0);
      return { name: name(column, parent), ok: missing === 0, detail: `${missing} of ${total} not in ${parent}` };
    });
  }
  return REFERENCES.map(([column, parent]) => ({ name: name(column, parent), ok: true, detail: 'no star table changed in this run (`sparkify check` verifies the whole tables)' }));
}

function reconciliation(run: RunFacts): CheckResult {
  const name = 'staging reconciles with songplays';
  const model = run.model;
  const songplays = run.tables.songplays ?? 0;
  if (model?.mode === 'incremental' && model.written) {
    const w = model.written;
    return {
      name,
      ok: w.rows === w.inserted && w.duplicatedKeys === 0,
      detail: `${plural(w.inserted, 'songplay')} written for the events this run touched, from the ${w.rows} winning copies that are plays${w.duplicatedKeys ? `; ${plural(w.duplicatedKeys, 'key')} held twice` : ''}`,
    };
  }
  if (model?.mode === 'full' && model.counts) {
    const built = model.counts.songplays satisfies number;
    return { name, ok: built === songplays, detail: `${plural(songplays, 'songplay')}, the winning copies of staged NextSong events with a user that this run's full build wrote (${built})` };
  }
  return { name, ok: true, detail: `${plural(songplays, 'songplay')}; no star table changed in this run` };
}
