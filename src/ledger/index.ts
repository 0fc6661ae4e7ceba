/**
 * The ledger: every statement on the loader's bookkeeping tables (etl_*) —
 * loaded objects and their dirty sets, runs, rejects, named state — and
 * their names. The tables are created with the rest by the dialects' DDL;
 * statements that differ by warehouse (the table locks of a load, Redshift's
 * run lease) come from the dialect.
 */
export * from './names.ts';
export * from './objects.ts';
export * from './runs.ts';
export * from './state.ts';
export * from './rejects.ts';
