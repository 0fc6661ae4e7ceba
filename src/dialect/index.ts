import { postgres } from './postgres.ts';
import type { Dialect, DialectName } from './types.ts';

export type { Dialect, DialectName } from './types.ts';
export { TableNames, quoteIdent, quoteLiteral } from './sql.ts';

const dialects: Partial<Record<DialectName, Dialect>> = { postgres };

/** Registers a dialect module (the Redshift one registers itself on import). */
export function registerDialect(dialect: Dialect): void {
  dialects[dialect.name] = dialect;
}

export function dialectFor(name: DialectName): Dialect {
  const d = dialects[name];
  if (!d) throw new Error(`no ${name} dialect loaded`);
  return d;
}
