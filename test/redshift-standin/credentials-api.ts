/**
 * A stand-in of the two AWS APIs that issue temporary Redshift passwords, on
 * 127.0.0.1, answering as AWS documents them:
 *
 * - Redshift (AWS query protocol, XML answers): GetClusterCredentials
 *   (DbUser → `IAM:<DbUser>`) and GetClusterCredentialsWithIAM (the user
 *   mapped to the caller's identity), errors as `<ErrorResponse>`
 *   [API: GetClusterCredentials, GetClusterCredentialsWithIAM; "Query API
 *   error responses"];
 * - Redshift Serverless (AWS JSON 1.1, `X-Amz-Target: RedshiftServerless.GetCredentials`):
 *   dbUser, dbPassword, expiration, nextRefreshTime as epoch seconds; errors
 *   as `{"__type": …, "message": …}`.
 *
 * Every password it issues is handed to the Redshift stand-in's
 * TemporaryCredentials, which accepts it until it expires. Requests must be
 * signed (an `AWS4-HMAC-SHA256` Authorization header); the signature itself
 * is not checked. Test-only.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { TemporaryCredentials } from './cluster.ts';

export interface CredentialsApiOptions {
  /** Where issued passwords are registered (the Redshift stand-in's). */
  credentials: TemporaryCredentials;
  /** Provisioned clusters the API knows, by identifier. */
  clusters?: string[];
  /** Serverless workgroups it knows, by name. */
  workgroups?: string[];
  /** The database user an IAM identity maps to, without its prefix (default 'sparkify-loader'). */
  identity?: string;
  /**
   * How long a password lives, in ms. By default what the caller asked for
   * (DurationSeconds, 900–3600); tests set it short to see passwords expire during a run.
   */
  lifetimeMs?: number;
}

export interface CredentialsApi {
  /** http://127.0.0.1:port — what AWS_ENDPOINT_URL_REDSHIFT(_SERVERLESS) points at. */
  url: string;
  /** Every call, in order. */
  calls: { action: string; params: Record<string, unknown> }[];
  close(): Promise<void>;
}

const NS = 'http://redshift.amazonaws.com/doc/2012-12-01/';

export async function startCredentialsApi(options: CredentialsApiOptions): Promise<CredentialsApi> {
  const calls: CredentialsApi['calls'] = [];
  const identity = options.identity ?? 'sparkify-loader';
  const issue = (user: string, durationSeconds: number) => {
    // Documented bounds: 900 to 3600 seconds, 900 by default.
    const seconds = Math.min(3600, Math.max(900, Number.isFinite(durationSeconds) ? durationSeconds : 900));
    const expiration = new Date(Date.now() + (options.lifetimeMs ?? seconds * 1000));
    const password = randomBytes(24).toString('base64');
    options.credentials.issue(user, password, expiration);
    return { user, password, expiration };
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = req.headers['x-amz-target'];
      const signed = /^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? '');
      if (typeof target === 'string') serverless(target, body, signed, res);
      else query(new URLSearchParams(body), signed, res);
    });
  });

  function query(params: URLSearchParams, signed: boolean, res: http.ServerResponse): void {
    const action = params.get('Action') ?? '';
    calls.push({ action, params: Object.fromEntries(params) });
    const fail = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(`<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`);
    };
    if (!signed) return fail(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    if (action !== 'GetClusterCredentials' && action !== 'GetClusterCredentialsWithIAM') return fail(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    const cluster = params.get('ClusterIdentifier') ?? '';
    if (!(options.clusters ?? []).includes(cluster)) return fail(404, 'ClusterNotFound', `Cluster ${cluster} not found.`);
    let user: string;
    if (action === 'GetClusterCredentials') {
      const dbUser = params.get('DbUser');
      if (!dbUser) return fail(400, 'MissingParameter', 'The request must contain the parameter DbUser');
      user = `IAM:${dbUser}`;
    } else user = `IAM:${identity}`;
    const c = issue(user, Number(params.get('DurationSeconds') ?? 900));
    const next = action === 'GetClusterCredentialsWithIAM' ? `<NextRefreshTime>${c.expiration.toISOString()}</NextRefreshTime>` : '';
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<${action}Response xmlns="${NS}"><${action}Result><DbUser>${escapeXml(c.user)}</DbUser><Expiration>${c.expiration.toISOString()}</Expiration>` +
        `<DbPassword>${escapeXml(c.password)}</DbPassword>${next}</${action}Result><ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata></${action}Response>`,
    );
  }

  function serverless(target: string, body: string, signed: boolean, res: http.ServerResponse): void {
    const action = target.replace(/^RedshiftServerless\./, '');
    let params: Record<string, unknown> = {};
    try {
      params = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      // An unparsable body is answered below as a validation error.
    }
    calls.push({ action, params });
    const fail = (status: number, type: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: type, message }));
    };
    if (!signed) return fail(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (action !== 'GetCredentials') return fail(400, 'UnknownOperationException', `Unknown operation ${action}`);
    const workgroup = String(params.workgroupName ?? '');
    if (!(options.workgroups ?? []).includes(workgroup)) return fail(400, 'ResourceNotFoundException', `Workgroup ${workgroup} not found`);
    const c = issue(`IAM:${identity}`, Number(params.durationSeconds ?? 900));
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ dbUser: c.user, dbPassword: c.password, expiration: c.expiration.getTime() / 1000, nextRefreshTime: c.expiration.getTime() / 1000 }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
