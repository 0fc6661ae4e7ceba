/**
 * How staged data looks to Redshift: the column of each field (in the
 * staging tables, and in direct mode's temp tables) and the NULL marker of
 * the CSV that stage mode writes for its COPYs.
 */
import type { Field } from '../common/datasets.ts';

/**
 * NULL in staged CSV (rows and rejects): `\N`, COPY's default null string, so
 * no COPY has to spell it (REDSHIFT-FACTS §1; redshift-copy.ts). A string
 * exactly equal to it would load as NULL, so validation rejects it
 * (ValidationLimits.nullMarker).
 */
export const NULL_MARKER = '\\N';

const TYPES: Record<Exclude<Field['kind'], 'string' | 'user_id'>, string> = {
  int32: 'INTEGER',
  int64: 'BIGINT',
  number: 'DOUBLE PRECISION',
};

/** A field's column type: strings get an explicit width in bytes (`TEXT` would silently be VARCHAR(256)). */
export const columnType = (f: Field): string => (f.kind === 'string' || f.kind === 'user_id' ? `VARCHAR(${f.maxBytes ?? 256})` : TYPES[f.kind]);

/** A field's column definition, NOT NULL where the field is required. */
export const columnDefinition = (f: Field): string => `${f.column} ${columnType(f)}${f.required ? ' NOT NULL' : ''}`;
