/**
 * Literals the loader writes into Redshift SQL, read back by the stand-in's
 * lexer, which follows Redshift's (PostgreSQL 8.0: backslash escapes in '…',
 * no E'…'). Whatever the value, Redshift must read the value we meant.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { copyCsvManifest, copyJsonManifest, validateIamRole } from '../../src/dialect/redshift-copy.ts';
import { quoteRedshiftLiteral } from '../../src/dialect/sql.ts';
import { significant, tokenize } from '../redshift-standin/sql-lexer.ts';
import { parseCopy } from '../redshift-standin/copy-options.ts';

const ROLE = 'arn:aws:iam::123456789012:role/dwhRole';
const read = (literal: string) => {
  const tokens = significant(tokenize(literal));
  expect(tokens).toHaveLength(1);
  return tokens[0].value;
};

describe('Redshift literals', () => {
  it('reads back every string as written, backslashes and quotes included', () => {
    expect(read(quoteRedshiftLiteral('\\N'))).toBe('\\N');
    expect(read(quoteRedshiftLiteral("it's a \\' trap\\"))).toBe("it's a \\' trap\\");
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')), (s) => {
        expect(read(quoteRedshiftLiteral(s))).toBe(s);
      }),
    );
  });

  it('stage-mode COPY leaves NULL to the default null string \\N (a NULL AS literal would lose its backslash)', () => {
    const sql = copyCsvManifest({ table: 't', columns: ['a'], manifestUrl: 's3://bucket/run/rows.manifest', iamRole: ROLE });
    expect(sql).not.toMatch(/\bNULL\b/);
    expect(parseCopy(significant(tokenize(sql))).nullAs).toBe('\\N');
  });

  it('accepts IAM_ROLE default and role chains, and refuses anything else', () => {
    expect(validateIamRole('DEFAULT')).toBe('default');
    const chain = `${ROLE},arn:aws:iam::210987654321:role/other`;
    expect(validateIamRole(chain)).toBe(chain);
    const json = (iamRole: string) => copyJsonManifest({ table: 't', columns: ['a'], manifestUrl: 's3://bucket/run/m', iamRole, jsonPaths: 'auto', maxError: 0 });
    expect(json('default')).toContain('\nIAM_ROLE default\n');
    expect(json(chain)).toContain(`\nIAM_ROLE '${chain}'\n`);
    // The stand-in checks the clause's shape as Redshift documents it.
    expect(() => parseCopy(significant(tokenize(json('default'))))).not.toThrow();
    expect(() => parseCopy(significant(tokenize(json(chain))))).not.toThrow();
    for (const bad of [`${ROLE},`, `${ROLE}, ${ROLE}`, "arn:aws:iam::123456789012:role/x' DROP TABLE users;--", 'role/x']) {
      expect(() => validateIamRole(bad), bad).toThrow(/is not an IAM role ARN/);
    }
  });
});
