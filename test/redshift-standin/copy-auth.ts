/**
 * COPY's authorization values, checked for shape only (the stand-in reads S3
 * with its own credentials): IAM role ARNs, possibly chained with commas, and
 * the CREDENTIALS string forms. [DG:copy-parameters-authorization]
 */
import { internalError, StandinError } from './errors.ts';
import type { Token } from './sql-lexer.ts';

const ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** IAM_ROLE 'arn:…[,arn:…]': every ARN must be an IAM role ARN with a 12-digit account. */
export function validateRoles(value: string, t: Token): void {
  // Role chaining: a comma-separated list of ARNs, each well-formed.
  for (const arn of value.split(',')) {
    if (!ARN.test(arn.trim())) {
      throw new StandinError('XX000', `Invalid IAM_ROLE: '${arn.trim()}' is not an IAM role ARN (arn:aws:iam::<account-id>:role/<role-name>)`, { offset: t.start });
    }
  }
}

/** CREDENTIALS 'aws_iam_role=…' or 'aws_access_key_id=…;aws_secret_access_key=…[;token=…]', never both. */
export function validateCredentials(value: string): void {
  const pairs = new Map<string, string>();
  for (const part of value.split(';').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    if (eq < 0) pairs.set(part.trim(), '');
    else pairs.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const bad = internalError(
    "Invalid credentials. Must be of the format: credentials 'aws_iam_role=...' or 'aws_access_key_id=...;aws_secret_access_key=...[;token=...]'",
  );
  const role = pairs.get('aws_iam_role');
  const keys = pairs.has('aws_access_key_id') || pairs.has('aws_secret_access_key');
  if (role !== undefined && keys) throw bad;
  if (role !== undefined) {
    if (!role.split(',').every((r) => ARN.test(r.trim()))) throw bad;
    return;
  }
  if (!pairs.get('aws_access_key_id') || !pairs.get('aws_secret_access_key')) throw bad;
  for (const k of pairs.keys()) {
    if (!['aws_access_key_id', 'aws_secret_access_key', 'token', 'master_symmetric_key'].includes(k)) throw bad;
  }
}
