/**
 * The full build: every star table built afresh from staging, for bulk work.
 *
 * Each table is filled into a new table (`songplays__build`…) with no keys or
 * secondary indexes, which are created once it is full (a sorted build, not
 * row by row); then one short transaction swaps the new tables in. Readers
 * keep the old tables until that commit, so an analyst waits at most for the
 * swap, which gives up after half a second when reads hold the tables and
 * tries again (dialect.lockForSwap). Grants, comments and added indexes are
 * carried over; a table with something a swap would lose (a dependent view,
 * a foreign key…) is reloaded in place instead, by DELETE and INSERT in the
 * same transaction, which blocks no reader.
 *
 * Where the warehouse has the sessions for it (dialect.buildSessions), steps
 * that do not depend on each other run side by side: the staging lookup
 * indexes build while the songplays table fills, and the time table fills
 * from songplays beside songplays' keys. The songplays table then takes every
 * play at once, and the keys staged more than once (found through the
 * event-key index, built meanwhile) are put right afterwards: their rows go,
 * their winning copies come in.
 *
 * The two big tables are filled one of two ways. On a server that writes no
 * WAL for a table created and filled in one transaction (Postgres with
 * wal_level minimal, as the embedded one runs: dialect.newTablesSkipWal), each
 * by one CREATE TABLE … AS (dialect.starTableAs), which also writes its pages
 * in bulk and numbers the identity without a sequence call per row. Elsewhere,
 * where the dialect can cut them (dialect.buildParts), in parts that free
 * sessions take, into build tables made first: songplays from ranges of
 * staging's pages (one part more than sessions), time by a hash of the start
 * time (one part per session). At 1M events on two cores, paired runs: on
 * the embedded server CREATE TABLE AS took the model step from 3.5 to 3.15 s;
 * on a stock Postgres 15 (wal_level replica) it was slower than the parts
 * (3.6 against 3.35 s), having the WAL to write either way and one session
 * instead of two for it.
 *
 * Everything before the swap writes only build and helper tables: a crash or
 * a failure leaves the live tables and the dirty sets as they were, and the
 * next run builds again (leftovers are dropped first).
 */
import type pg from 'pg';
import { STAR_TABLES, type StarTable } from '../common/datasets.ts';
import type { CarryOver } from '../dialect/carry-over.ts';
import type { Dialect } from '../dialect/types.ts';
import { BACKEND_PID_SQL, CANCEL_BACKEND_SQL } from '../dialect/catalog.ts';
import { describeError, LOCK_NOT_AVAILABLE, pgFields, QUERY_CANCELED, WarehouseError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { isTransient, sleep } from '../common/retry.ts';
import type { Warehouse } from '../warehouse/connect.ts';
import { BUILD_HELPERS, BUILD_USER_LATEST, clearDirtyStatements, recordStarCounts } from '../ledger/index.ts';
import { runSteps, type Step, type StepsDone, type StepTiming } from './steps.ts';
import {
  STAR_COLUMNS,
  duplicateKeysSelect,
  deleteDuplicateSongplays,
  allSongplaysSelect,
  allTimesSelect,
  positionsEnd,
  insertInto,
  insertRankedSongplays,
  insertArtists,
  insertSongs,
  insertUsers,
  insertUsersFromLatest,
  latestEventOfEveryUser,
  recordUserLatest,
  songMatchSelect,
  type ModelSql,
} from './star-schema.ts';

export interface FullBuildResult {
  counts: Record<StarTable, number>;
  /** Tables reloaded in place rather than swapped, and why. */
  inPlace: { table: StarTable; reason: string }[];
  /** Event keys staged more than once (ranked to find their latest copy). */
  duplicateKeys: number;
  steps: StepTiming[];
}

export interface FullBuildOptions {
  signal?: AbortSignal;
  /** How long the swap keeps trying to take tables that analysts' reads hold, before reloading in place (default 60 s). */
  swapWaitMs?: number;
  /**
   * Read-only queries of staging for what follows the build (the checks): each runs on a session
   * the build leaves idle, once staging is prepared (a gap of its schedule, or its tail), and may go
   * on past the build's end (BesideReads.settled). Only where the build has sessions to spare.
   */
  beside?: BesideReads;
}

/** Queries by name, and the first row of each once read (filled by the build). */
export interface BesideReads {
  queries: Readonly<Record<string, string>>;
  rows: Record<string, Record<string, unknown>>;
  /** Set by a build that was done before these reads were: when they have ended (never rejects). Read `rows` after it. */
  settled?: Promise<void>;
}

/** The build table of a star table. */
export const buildTable = (t: StarTable) => `${t}__build`;

interface Context {
  counts: Partial<Record<StarTable, number>>;
  duplicates: number;
  carry: Map<StarTable, CarryOver>;
  /** stg_events' size in pages, where the build cuts its scan into parts (dialect.buildParts). */
  pages: number;
  /** The staging indexes missing from the catalog (dialect.missingModelIndexes): only those are built. Undefined: all of them. */
  missingIndexes?: ReadonlySet<string>;
}

/** Builds every star table afresh and swaps them in; the caller retries on a transient error. */
export async function fullBuild(wh: Warehouse, log: Logger, options: FullBuildOptions = {}): Promise<FullBuildResult> {
  const m: ModelSql = { names: wh.names, dialect: wh.dialect };
  // An index the load kept needs no CREATE INDEX IF NOT EXISTS, whose lock would wait behind autovacuum's.
  const context: Context = { counts: {}, duplicates: 0, carry: new Map(), pages: 0, missingIndexes: new Set(await wh.dialect.missingModelIndexes(wh.pool, wh.names)) };
  const sessions = await openSessions(wh, Math.max(1, Math.min(wh.dialect.buildSessions, 4)));
  const cancel = () => {
    for (const s of sessions) void wh.pool.query(CANCEL_BACKEND_SQL, [s.pid]).catch(() => undefined);
  };
  options.signal?.addEventListener('abort', cancel, { once: true });
  // Reads beside the build still running when it is done (StepsDone.rest): their sessions are released when they end.
  let rest: StepsDone['rest'];
  try {
    const steps = buildSteps(m, log, { byCreateAs: (await wh.dialect.newTablesSkipWal?.(wh.pool)) ?? false }, sessions.length > 1 ? options.beside : undefined);
    const started = Date.now();
    const done = await runSteps(steps, sessions.map((s) => s.client), context, options.signal);
    rest = done.rest;
    if (rest && options.beside) options.beside.settled = rest.settled;
    if (options.signal?.aborted) throw options.signal.reason;
    // Neither does the swap wait for a read beside the build: it takes a session that read leaves free.
    const db = sessions.find((s) => !rest?.sessions.includes(s.client))!.client;
    const c = Date.now();
    await carryOver(db, m, context, log);
    done.timings.push({ name: 'carry over', ms: Date.now() - c, at: c - started });
    const t = Date.now();
    const inPlace = await swap(db, m, context, log, options);
    done.timings.push({ name: 'swap', ms: Date.now() - t, at: t - started });
    for (const sql of wh.dialect.afterFullBuild(wh.names, inPlace.map((p) => p.table))) await run(db, sql, 'after the build');
    await dropLeftovers(db, m);
    return { counts: context.counts as Record<StarTable, number>, inPlace, duplicateKeys: context.duplicates, steps: done.timings };
  } catch (err) {
    // Nothing live was touched: remove what the build made, then report.
    await dropLeftovers(wh.pool, m).catch((e: unknown) => log.debug(`cannot drop the build tables: ${describeError(e)}`));
    throw err;
  } finally {
    const held = rest?.sessions ?? [];
    for (const s of sessions) if (!held.includes(s.client)) s.release();
    const end = () => {
      options.signal?.removeEventListener('abort', cancel);
      for (const s of sessions) if (held.includes(s.client)) s.release();
    };
    if (rest) void rest.settled.then(end);
    else end();
  }
}

/** How this warehouse's build fills its big tables. */
export interface BuildMode {
  /** By CREATE TABLE … AS (dialect.starTableAs), each in one step: the server writes no WAL for a table created and filled in one transaction (dialect.newTablesSkipWal). */
  byCreateAs: boolean;
}

/** A build step as data: statements in one transaction (after `outside` ones, run on their own). */
interface BuildStep {
  name: string;
  after?: string[];
  outside?: string[];
  statements(c: Context): Statement[];
}

/**
 * The steps of a full build, most urgent first (a free session takes the
 * first step that is ready): the chain to the songplays table and its keys
 * is the longest, so it goes first; the time table fills from the songplays
 * table once it is built, beside songplays' keys, and the staging indexes (for
 * the next incremental run) fill the gaps. Tables filled in parts are created
 * by the first step, and keyed once all their parts are in.
 */
function buildPlan(m: ModelSql, plan: BuildMode): BuildStep[] {
  const { names: n, dialect: d } = m;
  const helper = (name: string) => n.t(name);
  const build = (t: StarTable) => n.t(buildTable(t));
  const create = (t: StarTable) => d.createStarTable(n, t, buildTable(t));
  const keys = (t: StarTable) => d.starKeys(n, t, buildTable(t));
  const analyze = (table: string) => (d.analyze(table) ? [d.analyze(table)!] : []);
  const duplicates = (c: Context) => (c.duplicates > 0 ? helper(BUILD_HELPERS.duplicates) : undefined);
  const prepare = d.prepareStagingForBuild(n);
  // The indexes of stg_events for the next incremental run (dropped by a bulk load), built beside the star tables.
  const indexSteps: BuildStep[] = d.modelIndexes(n).map((sql, i) => ({
    name: `staging index ${i + 1}`,
    after: ['prepare'],
    statements: (c) => (c.missingIndexes && !c.missingIndexes.has(sql) ? [] : [...d.modelSettings(), sql]),
  }));
  const withKeys = (t: StarTable) => [...keys(t).indexes, ...keys(t).constraints];
  const count = (table: StarTable) => (c: Context, rows: number) => {
    c.counts[table] = (c.counts[table] ?? 0) + rows;
  };
  // How songplays and time are filled. Where a table created and filled in one transaction writes no
  // WAL (plan.byCreateAs), each by CREATE TABLE … AS in one step (dialect.starTableAs). Elsewhere in
  // parts side by side where the dialect can cut them (buildParts): songplays by ranges of staging's
  // pages, time by a hash of the start time, into build tables made first. Else one INSERT each.
  const byCreateAs = plan.byCreateAs ? d.starTableAs : undefined;
  const split = !byCreateAs && d.buildParts && d.buildSessions > 1 ? d.buildParts : undefined;
  // With a second session, songplays takes every play without waiting for the duplicate keys (which
  // wait for an index the other session builds meanwhile); the keys staged more than once are put
  // right afterwards: their rows go, their winners come in. With one, it ranks them as it goes.
  const rankAfter = d.buildSessions > 1;
  const insert = (t: StarTable, select: string): Statement => ({ sql: `${insertInto(build(t), t)}\n${select}`, rows: count(t) });
  // A table filled whole in one step, which creates it (by CREATE TABLE … AS, `numbered`: see dialect.starTableAs).
  const fill = (t: StarTable, select: string, numbered?: { next: string }): Statement[] => {
    if (!byCreateAs) return [create(t), insert(t, select)];
    const made = byCreateAs(n, t, buildTable(t), select, numbered);
    return [{ sql: made.sql, rows: count(t), next: made.next }];
  };
  const songMatch = helper(BUILD_HELPERS.songMatch);
  // Songplays in one step; by CREATE TABLE … AS, numbered by their events' positions.
  const fillSongplays = (keys: string | undefined) =>
    fill('songplays', allSongplaysSelect(m, songMatch, keys, { numbered: !!byCreateAs }), byCreateAs ? { next: positionsEnd(n) } : undefined);
  // One songplays part more than sessions: the session busy with the event-key index and the duplicate
  // keys meanwhile takes the last part when it is free, instead of waiting for the other to fill both
  // halves (at 1M events on two sessions, one then sat idle for ~0.3 s before the time parts).
  const parts = split ? d.buildSessions : 1;
  const songplaysPartCount = split ? d.buildSessions + 1 : 1;
  const partName = (table: string, i: number, of = parts) => (of > 1 ? `${table} ${i + 1}/${of}` : table);
  const songplaysParts: BuildStep[] = Array.from({ length: songplaysPartCount }, (_, i) => ({
    name: partName('songplays', i, songplaysPartCount),
    after: rankAfter ? ['songs and artists'] : ['songs and artists', 'duplicate events'],
    statements: (c: Context) => [
      ...d.modelSettings(),
      ...(split
        ? [insert('songplays', allSongplaysSelect(m, songMatch, undefined, { where: split.pageRange('e', i, songplaysPartCount, c.pages) }))]
        : fillSongplays(rankAfter ? undefined : duplicates(c))),
    ],
  }));
  const rankedSongplays: BuildStep[] = rankAfter
    ? [
        {
          name: 'songplays of duplicate events',
          after: [...songplaysParts.map((s) => s.name), 'duplicate events'],
          statements: (c: Context) => {
            const keys = duplicates(c);
            if (!keys) return [];
            const removed = (ctx: Context, rows: number) => void (ctx.counts.songplays = (ctx.counts.songplays ?? 0) - rows);
            return [...d.modelSettings(), { sql: deleteDuplicateSongplays(build('songplays'), keys), rows: removed }, { sql: insertRankedSongplays(m, build('songplays'), songMatch, keys), rows: count('songplays') }];
          },
        },
      ]
    : [];
  const songplaysBuilt = [...songplaysParts, ...rankedSongplays].map((s) => s.name);
  // The time rows from the distinct start times of the songplays just built (not the events again:
  // from staging's plays, beside songplays, the step took twice as long).
  const timeParts: BuildStep[] = Array.from({ length: parts }, (_, i) => ({
    name: partName('time', i),
    after: songplaysBuilt,
    statements: () => [
      ...d.modelSettings(),
      ...(split
        ? [insert('time', allTimesSelect(m, build('songplays'), { part: split.timestampPart('p.start_time', i, parts) }))]
        : [...fill('time', allTimesSelect(m, build('songplays'), { sorted: !!byCreateAs })), ...withKeys('time')]),
    ],
  }));
  const timeKeys: BuildStep[] = split ? [{ name: 'time keys', after: timeParts.map((s) => s.name), statements: () => [...d.modelSettings(), ...withKeys('time')] }] : [];
  // songplays' keys build side by side, then become its constraints.
  const songplaysKeys = keys('songplays');
  const songplaysIndexSteps: BuildStep[] = songplaysKeys.indexes.map((sql, i) => ({ name: `songplays index ${i + 1}`, after: songplaysBuilt, statements: () => [...d.modelSettings(), sql] }));
  // The first staging index is the event key's: the duplicates are read from it (cheaper than hashing every event).
  const eventKeyIndex = indexSteps.slice(0, 1);
  return [
    {
      name: 'prepare',
      outside: [...dropStatements(m), ...prepare.outside],
      // Tables filled in parts are made here: each part fills them from a session of its own.
      statements: () => [...prepare.inside, ...(split ? [{ sql: split.pagesSql(n), read: (c: Context, r: pg.QueryResult) => void (c.pages = Number(r.rows[0]?.pages ?? 0)) }, create('songplays'), create('time')] : [])],
    },
    // Where songplays fills in one step, songplays then time is the longest chain, and its first link
    // goes to the first session free after prepare, even when a read beside the build holds the other
    // (buildSteps): the event-key index waits for a session instead. (In parts, the parts wait for
    // each other's WAL, and the index goes first so that its duplicate keys are ready with them.)
    ...(split ? eventKeyIndex : []),
    {
      name: 'duplicate events',
      after: ['prepare', ...eventKeyIndex.map((s) => s.name)],
      statements: () => [
        ...d.modelSettings(),
        // A warehouse that does not say how many rows it wrote: assume some.
        { sql: d.helperTableAs(helper(BUILD_HELPERS.duplicates), duplicateKeysSelect(m)), rows: (c, rows) => void (c.duplicates = Number.isFinite(rows) ? rows : 1) },
        ...analyze(helper(BUILD_HELPERS.duplicates)),
      ],
    },
    {
      name: 'songs and artists',
      after: ['prepare'],
      statements: () => [
        ...d.modelSettings(),
        create('songs'),
        { sql: insertSongs(m, build('songs')), rows: count('songs') },
        ...withKeys('songs'),
        create('artists'),
        { sql: insertArtists(m, build('artists')), rows: count('artists') },
        ...withKeys('artists'),
        // Kept by the ledger after the build where the dialect keeps it (the swap puts it in place).
        ...(d.keptSongMatch
          ? d.keptSongMatch.create(n, BUILD_HELPERS.songMatch, songMatchSelect(m))
          : [d.helperTableAs(helper(BUILD_HELPERS.songMatch), songMatchSelect(m)), ...analyze(helper(BUILD_HELPERS.songMatch))]),
      ],
    },
    ...songplaysParts,
    ...(split ? [] : eventKeyIndex),
    ...rankedSongplays,
    // Each time part (rows written, WAL on a stock server) beside a songplays index (mostly a sort): two
    // steps that both write rows contend for the server's WAL (at 1M events on a stock Postgres 15,
    // paired runs of the model step: 3.89 → 3.78 s and 3.65 → 3.60 s, medians of eight).
    ...timeParts.flatMap((part, i) => [part, ...songplaysIndexSteps.slice(i, i + 1)]),
    ...songplaysIndexSteps.slice(timeParts.length),
    ...timeKeys,
    ...(songplaysKeys.constraints.length ? [{ name: 'songplays keys', after: songplaysIndexSteps.map((s) => s.name), statements: () => songplaysKeys.constraints }] : []),
    ...indexSteps.slice(1),
    ...(prepare.beside.length ? [{ name: 'staging summaries', after: ['prepare', ...indexSteps.map((s) => s.name)], statements: () => prepare.beside }] : []),
    {
      // Where the ledger keeps each user's latest event, it is found by one scan and the event-key index
      // (latestEventOfEveryUser), and kept for the swap. (A warehouse without indexes has no such step.)
      name: 'users',
      after: ['prepare', ...eventKeyIndex.map((s) => s.name)],
      statements: () => [
        ...d.modelSettings(),
        ...(d.usersLatest === 'ledger' ? [d.helperTableAs(n.t(BUILD_USER_LATEST), latestEventOfEveryUser(m))] : []),
        create('users'),
        { sql: d.usersLatest === 'ledger' ? insertUsersFromLatest(build('users'), n.t(BUILD_USER_LATEST)) : insertUsers(m, build('users')), rows: count('users') },
        ...withKeys('users'),
      ],
    },
  ];
}

function buildSteps(m: ModelSql, log: Logger, mode: BuildMode, beside?: BesideReads): Step<Context>[] {
  const plan = buildPlan(m, mode);
  const steps: Step<Context>[] = plan.map((p) => ({
    name: p.name,
    after: p.after,
    async run(db, c) {
      for (const sql of p.outside ?? []) await run(db, sql, p.name);
      const statements = p.statements(c);
      if (statements.length) await inTransaction(db, p.name, statements, c);
    },
  }));
  // In the gaps of the build's schedule, and on past the build's end (the checks wait for what they read): where no session is ever idle, the checks read for themselves.
  // The first gap is prepare's (its VACUUM and ANALYZE leave the other session idle): a plain read,
  // it takes no lock VACUUM waits for, and its snapshot, taken after staging committed, keeps no staged
  // row from being all-visible. (After prepare it could hold a session past songplays' end, and the
  // songplays indexes waited for it: on the embedded server at 1M events the build took 2.59–2.63 s
  // then, 2.55–2.60 s now, three alternating pairs, as the steps beside songplays took longer; on the
  // stock one, where no session had been idle for it, 2.54–2.56 s against 2.53–2.62 s, the names no
  // longer read by the checks after the build.)
  for (const [name, sql] of Object.entries(beside?.queries ?? {})) {
    steps.push({
      name: `beside: ${name}`,
      optional: true,
      async run(db, c) {
        // Not the build's to fail: without its row, what follows reads for itself.
        await inTransaction(db, name, [{ sql, read: (_, r) => void (beside!.rows[name] = r.rows[0] ?? {}) }], c).catch((err: unknown) => log.debug(`model: ${name} beside the build: ${describeError(err)}`));
      },
    });
  }
  return steps;
}

/** What the live tables have that the build tables take over (grants, comments, added indexes), once they are built. */
async function carryOver(db: pg.ClientBase, m: ModelSql, c: Context, log: Logger): Promise<void> {
  c.carry = await m.dialect.carryOver(db, m.names, STAR_TABLES.map((table) => ({ table, build: buildTable(table) })));
  for (const [t, carry] of c.carry) if (carry.blocker) log.info(`model: ${t} is reloaded in place: ${carry.blocker}`);
  const statements = [...c.carry.values()].flatMap((carry) => (carry.blocker ? [] : carry.beforeSwap));
  if (statements.length) await inTransaction(db, 'carry over', [...m.dialect.modelSettings(), ...statements]);
}

/**
 * Every statement of a full build in the order one session sends them (the
 * golden files of the Redshift SQL), with duplicate events staged, a swap,
 * and the in-place reload of one table for a table that cannot be swapped.
 */
export function fullBuildStatements(m: ModelSql): string[] {
  const c: Context = { counts: { songplays: 1, users: 1, songs: 1, artists: 1, time: 1 }, duplicates: 1, carry: new Map(), pages: 1000 };
  const text = (s: Statement) => (typeof s === 'string' ? [s] : [s.sql, ...(s.next?.(1) ?? [])]);
  return [
    ...buildPlan(m, { byCreateAs: false }).flatMap((p) => [...(p.outside ?? []), ...p.statements(c).flatMap(text)]),
    ...swapStatements(m, c, STAR_TABLES.slice(1)),
    ...reloadInPlace(m, 'songplays'),
    ...m.dialect.afterFullBuild(m.names, ['songplays']),
    ...dropStatements(m),
  ];
}

/** The swap transaction's statements: `swapped` tables by drop and rename, the others in place. */
function swapStatements(m: ModelSql, c: Context, swapped: readonly StarTable[]): string[] {
  const { names: n, dialect: d } = m;
  return [
    ...(swapped.length ? d.lockForSwap(swapped.map((t) => n.t(t))) : []),
    ...STAR_TABLES.flatMap((t) => (swapped.includes(t) ? [`DROP TABLE ${n.t(t)}`, ...d.renameBuildTable(n, t, buildTable(t)), ...(c.carry.get(t)?.afterRename ?? [])] : reloadInPlace(m, t))),
    ...clearDirtyStatements(n),
    ...(d.usersLatest === 'ledger' ? recordUserLatest(n, n.t(BUILD_USER_LATEST)) : []),
    ...(d.keptSongMatch?.swapIn(n, BUILD_HELPERS.songMatch) ?? []),
    ...recordStarCounts(n, c.counts),
  ];
}

/** Whether a failed swap should be done in place: another session holds the tables (LOCK_NOT_AVAILABLE), or dropping them is refused. */
const KEEP_IN_PLACE = new Set(['2BP01', '42501']);

/**
 * The one transaction analysts can notice: takes the live tables (giving up
 * quickly when reads hold them, and trying again), drops them, renames the
 * build tables in, clears the dirty sets and records the counts. After
 * `swapWaitMs` of busy tables, or when the warehouse refuses the drop (a
 * dependent object), every table is reloaded in place instead.
 */
async function swap(db: pg.ClientBase, m: ModelSql, c: Context, log: Logger, options: FullBuildOptions): Promise<{ table: StarTable; reason: string }[]> {
  const { names: n, dialect: d } = m;
  const deadline = Date.now() + (options.swapWaitMs ?? 60_000);
  let allInPlace: string | undefined;
  for (let attempt = 1; ; attempt++) {
    const inPlace = STAR_TABLES.map((table) => ({ table, reason: allInPlace ?? c.carry.get(table)?.blocker })).filter((p): p is { table: StarTable; reason: string } => !!p.reason);
    const swapped = STAR_TABLES.filter((t) => !inPlace.some((p) => p.table === t));
    try {
      await inTransaction(db, 'swap', swapStatements(m, c, swapped));
      if (attempt > 1) log.info(`model: swapped in after ${attempt} attempts (the tables were in use)`);
      return inPlace;
    } catch (err) {
      const code = err instanceof WarehouseError ? err.sqlState : pgFields(err)?.code;
      // The tables were not all free within the lock's time (dialect.lockForSwap): a cancel of our own is not that.
      const busy = code === LOCK_NOT_AVAILABLE || (code === QUERY_CANCELED && !options.signal?.aborted);
      if (busy && !allInPlace) {
        if (Date.now() > deadline) {
          allInPlace = `reads held the tables for ${Math.round((options.swapWaitMs ?? 60_000) / 1000)} s`;
          log.warn(`model: ${allInPlace}; reloading them in place instead`);
        } else {
          const tables = swapped.map((t) => n.t(t));
          if (attempt === 1 || attempt % 20 === 0) log.info(`model: the star tables are in use${await lockHolders(db, d, tables)}; the swap waits for a gap`);
          await cancelAutovacuum(db, d, tables, log);
          await sleep(100 + Math.floor(Math.random() * 400), options.signal);
          if (options.signal?.aborted) throw options.signal.reason;
        }
        continue;
      }
      if (code && KEEP_IN_PLACE.has(code) && !allInPlace) {
        allInPlace = `the warehouse refused to drop them (${describeError(err)})`;
        log.warn(`model: ${allInPlace}; reloading them in place instead`);
        continue;
      }
      throw err;
    }
  }
}

/** Who holds `tables`, for the log (` (held by …)`), where the dialect can tell; empty if it cannot. */
async function lockHolders(db: pg.ClientBase, d: Dialect, tables: readonly string[]): Promise<string> {
  if (!d.lockHoldersSql) return '';
  try {
    const { rows } = await db.query(d.lockHoldersSql, [tables]);
    const who = rows.map((r) => {
      const app = r.application_name ? `, ${r.application_name}` : '';
      const user = r.usename ? ` of ${r.usename}` : '';
      const open = r.open_s === null ? '' : `, its transaction open ${r.open_s} s`;
      return `pid ${r.pid}: ${r.backend_type}${user}${app}${r.state ? `, ${r.state}` : ''}${open}`;
    });
    return who.length ? ` (held by ${who.join('; ')})` : '';
  } catch {
    return '';
  }
}

/** Cancels autovacuum on the live tables the swap is about to drop (dialect.cancelAutovacuumSql), where it may. */
async function cancelAutovacuum(db: pg.ClientBase, d: Dialect, tables: readonly string[], log: Logger): Promise<void> {
  if (!d.cancelAutovacuumSql) return;
  try {
    const { rows } = await db.query(d.cancelAutovacuumSql, [tables]);
    for (const r of rows) if (r.cancelled) log.info(`model: cancelled autovacuum (pid ${r.pid}) of ${r.relname}: the swap replaces the table`);
  } catch (err) {
    log.debug(`model: could not cancel autovacuum of the star tables: ${describeError(err)}`);
  }
}

/** The live table takes the build table's rows in the open transaction (readers keep the old rows until commit). */
function reloadInPlace({ names: n }: ModelSql, t: StarTable): string[] {
  const columns = STAR_COLUMNS[t].join(', ');
  return [`DELETE FROM ${n.t(t)}`, `INSERT INTO ${n.t(t)} (${columns}) SELECT ${columns} FROM ${n.t(buildTable(t))}`, `DROP TABLE ${n.t(buildTable(t))}`];
}

/** Drops the build and helper tables a build left (this one, or one that died). */
function dropStatements({ names: n, dialect: d }: ModelSql): string[] {
  return [...STAR_TABLES.map(buildTable), ...Object.values(BUILD_HELPERS), ...(d.usersLatest === 'ledger' ? [BUILD_USER_LATEST] : [])].map((t) => `DROP TABLE IF EXISTS ${n.t(t)}`);
}

async function dropLeftovers(db: Pick<pg.ClientBase, 'query'>, m: ModelSql): Promise<void> {
  for (const sql of dropStatements(m)) await db.query(sql);
}

/** A statement, with what its row count (`rows`) or its result (`read`) tells the context, and the statements its row count calls for next (`next`). */
type Statement = string | { sql: string; rows?: (c: Context, rows: number) => void; read?: (c: Context, result: pg.QueryResult) => void; next?: (rows: number) => string[] };

/** Runs statements in one transaction on `db`, naming the step in any error. */
async function inTransaction(db: pg.ClientBase, step: string, statements: readonly Statement[], context?: Context): Promise<void> {
  await run(db, 'BEGIN', step);
  try {
    for (const s of statements) {
      const r = await run(db, typeof s === 'string' ? s : s.sql, step);
      if (typeof s !== 'string' && context) {
        s.rows?.(context, r.rowCount ?? Number.NaN);
        s.read?.(context, r);
      }
      if (typeof s !== 'string') for (const sql of s.next?.(r.rowCount ?? 0) ?? []) await run(db, sql, step);
    }
    await run(db, 'COMMIT', step);
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function run(db: pg.ClientBase, sql: string, step: string): Promise<pg.QueryResult> {
  try {
    return await db.query(sql);
  } catch (err) {
    const f = pgFields(err);
    throw new WarehouseError('SQL', `model step (full build, ${step}) failed: ${(err as Error).message}`, {
      cause: err,
      sqlState: f?.code,
      table: f?.table,
      retryable: isTransient(err),
      hint: `statement: ${sql.split('\n')[0].slice(0, 120)}`,
    });
  }
}

interface Session {
  client: pg.PoolClient;
  pid: number;
  release(): void;
}

/** `count` pooled connections, each with its backend pid (for cancelling) and an error listener. */
async function openSessions(wh: Warehouse, count: number): Promise<Session[]> {
  const sessions: Session[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const client = await wh.pool.connect();
      let broken = false;
      // A connection the server drops mid-step must not crash the process (see inTransaction in connect.ts).
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      const session: Session = {
        client,
        pid: 0,
        release: () => {
          client.off('error', onError);
          client.release(broken);
        },
      };
      sessions.push(session);
      session.pid = Number((await client.query(BACKEND_PID_SQL)).rows[0].pid);
    }
    return sessions;
  } catch (err) {
    for (const s of sessions) s.release();
    throw err;
  }
}
