/**
 * Secrets never reach output. Config resolution registers every secret it
 * reads (passwords, secret keys, session tokens); everything the loader prints
 * or stores (log lines, errors, --json, the ledger's runs) passes through `redact`.
 */

const MASK = '***';
const secrets = new Set<string>();

/** Registers a value that must never be printed. Short values are ignored (they would mask ordinary text). */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) secrets.add(value);
  if (value && value.length >= 4) {
    // URL-encoded forms appear in connection strings.
    const encoded = encodeURIComponent(value);
    if (encoded !== value) secrets.add(encoded);
  }
}

/** Forgets registered secrets (tests). */
export function clearSecrets(): void {
  secrets.clear();
}

// user:password@ in any URL-ish string, password=… in connection strings,
// and AWS-style key=value pairs.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)([^@\s/]*)@/gi;
const KEY_VALUE = /\b(password|passwd|pwd|secret_access_key|secretaccesskey|session_token|sessiontoken|aws_secret_access_key|aws_session_token)(\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s,;&]+)/gi;
// dwh.cfg's password line, even malformed: the config parser quotes a bad line
// back (`got "DB_PASSWORD hunter2"`) before the password could be registered.
// Its value runs to the end of the line or of the (JSON-)quoted text.
// (A tab may already be escaped, `\t`, once or twice.)
const CONFIG_PASSWORD = /(DB_PASSWORD)((?:\s|\\+t|[=:])+)((?:[^\s"\\]|\\.)(?:[^\n"\\]|\\.)*)/gi;

/** Returns `text` with every registered secret and every URL credential masked. */
export function redact(text: string): string {
  let out = text.replace(URL_CREDENTIALS, `$1${MASK}@`).replace(CONFIG_PASSWORD, `$1$2${MASK}`).replace(KEY_VALUE, `$1$2${MASK}`);
  // Longest first, so a secret that contains another is masked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out;
}
