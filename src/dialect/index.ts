import { postgres } from './postgres.ts';
import { redshift } from './redshift.ts';
import type { Dialect, DialectName } from './types.ts';

export type { Dialect, DialectName } from './types.ts';
export { TableNames, quoteIdent, quoteLiteral } from './sql.ts';

const dialects: Record<DialectName, Dialect> = { postgres, redshift };

export function dialectFor(name: DialectName): Dialect {
  return dialects[name];
}
