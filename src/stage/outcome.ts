/** What loading one object gave: what the ledger records of it, and a few of its rejects for the log. */
import type { RecordedObject } from '../ledger/objects.ts';
import type { Reject } from './reject-spool.ts';

export interface ObjectOutcome extends RecordedObject {
  /** The first few rejects, for log lines. */
  samples?: readonly Reject[];
}
