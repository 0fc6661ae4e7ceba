/**
 * Tidying behind a bulk load. While the events stream in, part of what a full
 * build first does to staging (dialect.bulkUpkeep: on Postgres, the BRIN
 * summaries of the page ranges staged) is done in a transaction of its own, in
 * rounds: one after an events object commits, never two at once (objects that
 * commit during a round are covered by the next). The warehouse has time to
 * spare there (the loader's parsing, not the COPYs, bounds staging), and the
 * build then finds the work mostly done: at 1M events its BRIN summaries took
 * 4–10 ms instead of 370–465 (four paired runs on the stock Postgres).
 *
 * Nothing depends on it. A round that finds a lock taken (autovacuum's) is
 * skipped; any other failure ends the rounds for the run; either way the
 * build does what is left. Its locks never block analysts' reads. */
import type pg from 'pg';
import { describeError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { inTransaction } from '../warehouse/connect.ts';
import { isLockTimeout } from '../warehouse/explain.ts';

export class StagingUpkeep {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Rounds done. */
  rounds = 0;
  private readonly pool: pg.Pool;
  private readonly statements: readonly string[];
  private readonly log: Logger;
  /** Longest wait for a lock (ms) before a round is skipped. */
  private readonly lockTimeoutMs: number;

  constructor(pool: pg.Pool, statements: readonly string[], log: Logger, lockTimeoutMs = 100) {
    this.pool = pool;
    this.statements = statements;
    this.log = log;
    this.lockTimeoutMs = lockTimeoutMs;
  }

  /** An events object committed: a round now, or after the one running. */
  objectStaged(): void {
    if (this.stopped || this.statements.length === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (!this.again) return;
      this.again = false;
      this.objectStaged();
    });
  }

  /** No more rounds; settles when the one running has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running) await this.running;
  }

  private async round(): Promise<void> {
    try {
      await inTransaction(this.pool, async (client) => {
        await client.query(`SET LOCAL lock_timeout = ${Math.round(this.lockTimeoutMs)}`);
        for (const sql of this.statements) await client.query(sql);
      });
      this.rounds++;
    } catch (err) {
      if (isLockTimeout(err)) this.log.debug(`staging upkeep: a lock is taken; skipped this round`);
      else {
        this.stopped = true;
        this.log.debug(`staging upkeep stopped (the model step does its work): ${describeError(err)}`);
      }
    }
  }
}
