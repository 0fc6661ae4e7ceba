/**
 * What happens between a client's StartupMessage and its first query, the
 * Redshift way: only Redshift's startup parameters are accepted, the password
 * is checked with MD5 (authentication code 5), Redshift's ParameterStatus
 * values are reported, and the client's session settings are carried over
 * to the upstream connection. [REDSHIFT-FACTS §8]
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Startup parameters Redshift accepts; any other is FATAL 42704 (names compare case-insensitively). */
const ACCEPTED_PARAMETERS = new Set(['user', 'database', 'client_encoding', 'application_name', 'statement_timeout', 'datestyle', 'timezone', 'extra_float_digits']);

/** The first startup parameter Redshift would refuse, if any. */
export function refusedParameter(params: Map<string, string>): string | undefined {
  return [...params.keys()].find((name) => !ACCEPTED_PARAMETERS.has(name.toLowerCase()));
}

/** What a client answers to AuthenticationMD5Password: 'md5' + md5(md5(password + user) + salt). */
export function md5Response(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password + user).digest('hex');
  return `md5${createHash('md5').update(inner).update(salt).digest('hex')}`;
}

/** ParameterStatus values as Redshift sends them (client_encoding is UNICODE, not UTF8). */
export function redshiftParameterStatus(user: string): [string, string][] {
  return [
    ['server_version', '8.0.2'],
    ['client_encoding', 'UNICODE'],
    ['DateStyle', 'ISO, MDY'],
    ['TimeZone', 'UTC'],
    ['integer_datetimes', 'on'],
    ['standard_conforming_strings', 'on'],
    ['is_superuser', 'on'],
    ['session_authorization', user],
  ];
}

/** The client's session settings as upstream connection options; Redshift's session time zone defaults to UTC. */
export function upstreamSettings(params: Map<string, string>): Pick<pg.ClientConfig, 'application_name' | 'statement_timeout' | 'options'> {
  const get = (name: string): string | undefined => [...params].find(([k]) => k.toLowerCase() === name)?.[1];
  const settings: [string, string][] = [
    ['TimeZone', get('timezone') ?? 'UTC'],
    ['DateStyle', get('datestyle') ?? 'ISO, MDY'],
    // Redshift runs every transaction serializable (or snapshot): concurrent writers of one
    // table conflict, which the stand-in reports as error 1023 [DG:c_serial_isolation].
    ['default_transaction_isolation', 'serializable'],
  ];
  const floatDigits = get('extra_float_digits');
  if (floatDigits !== undefined) settings.push(['extra_float_digits', floatDigits]);
  const timeout = get('statement_timeout');
  return {
    application_name: get('application_name'),
    statement_timeout: timeout !== undefined ? Number(timeout) : undefined,
    // -c options; a backslash escapes spaces in values.
    options: settings.map(([k, v]) => `-c ${k}=${v.replace(/\s/g, '\\ ')}`).join(' '),
  };
}
