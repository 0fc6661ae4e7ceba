/**
 * Redshift has no advisory locks: the run lock is one lease row per holder
 * in the ledger's lease table (warehouse/lease-lock.ts), taken under an
 * explicit LOCK of the table so that writers queue instead of failing each
 * other with error 1023 [DG:r_LOCK, DG:c_serial_isolation]. Every time in it
 * is the warehouse's GETDATE() [DG:r_GETDATE]: `now()` is a leader-node-only
 * function Redshift refuses next to a table [DG:c_SQL_functions_leader_node_only].
 */
import type { LeaseSql } from './types.ts';

export const redshiftLease: LeaseSql = {
  kind: 'lease',
  // Every writing command takes the lease first, create-tables included, so the table is created on its own before anything else.
  createTable: (t) => `CREATE TABLE IF NOT EXISTS ${t} (name VARCHAR(64) NOT NULL, holder VARCHAR(512) NOT NULL, acquired_at TIMESTAMP NOT NULL, heartbeat_at TIMESTAMP NOT NULL, PRIMARY KEY (name)) DISTSTYLE ALL`,
  lock: (t) => `LOCK ${t}`,
  read: (t) => `SELECT name, holder, heartbeat_at, acquired_at, GETDATE() AS now FROM ${t}`,
  remove: (t, count) => `DELETE FROM ${t} WHERE name IN (${Array.from({ length: count }, (_, i) => `$${i + 1}`).join(', ')})`,
  take: (t) => `INSERT INTO ${t} (name, holder, acquired_at, heartbeat_at) VALUES ($1, $2, GETDATE(), GETDATE())`,
  renew: (t) => `UPDATE ${t} SET heartbeat_at = GETDATE() WHERE name = $1 AND holder = $2`,
  release: (t) => `DELETE FROM ${t} WHERE name = $1 AND holder = $2`,
};
