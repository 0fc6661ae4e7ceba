/** Source locations: `s3://bucket/prefix`, a local folder, or `file:///…`. */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../common/errors.ts';
import { isBucketName } from '../common/aws-names.ts';

export type SourceLocation =
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string }
  | { readonly kind: 'local'; readonly dir: string };

/** Parses a source URL; relative folders resolve against `cwd`. */
export function parseSourceUrl(text: string, cwd = process.cwd()): SourceLocation {
  if (/^s3a?:\/\//i.test(text)) {
    const rest = text.replace(/^s3a?:\/\//i, '');
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1);
    if (!isBucketName(bucket)) throw new UsageError(`${JSON.stringify(text)}: ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
    return { kind: 's3', bucket, prefix };
  }
  if (/^file:\/\//i.test(text)) return { kind: 'local', dir: fileURLToPath(text) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new UsageError(`${JSON.stringify(text)}: a source is s3://bucket/prefix, file:///path or a local folder`);
  return { kind: 'local', dir: isAbsolute(text) ? text : resolve(cwd, text) };
}

export function describeLocation(loc: SourceLocation): string {
  return loc.kind === 's3' ? `s3://${loc.bucket}/${loc.prefix}` : loc.dir;
}
