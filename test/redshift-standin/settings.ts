/**
 * Configuration parameters as Redshift knows them: SET/RESET/SHOW of a
 * Postgres-only parameter fails with 42704 as on Redshift [REDSHIFT-FACTS §8;
 * DG:cm_chap_ConfigurationRef], and Redshift-only parameters are accepted
 * and ignored (they tune the cluster, not query results).
 */
import { StandinError } from './errors.ts';
import { isWord, type Token } from './sql-lexer.ts';

/** Parameters both systems have; they are passed to Postgres. */
const SHARED = new Set(['search_path', 'statement_timeout', 'timezone', 'datestyle', 'extra_float_digits', 'client_min_messages', 'application_name', 'client_encoding']);

/** Redshift-only parameters: accepted, no effect in the stand-in. */
export const REDSHIFT_ONLY = new Set([
  'query_group', 'wlm_query_slot_count', 'enable_result_cache_for_session', 'analyze_threshold_percent', 'describe_field_name_in_uppercase',
  'downcase_delimited_identifier', 'enable_case_sensitive_identifier', 'enable_case_sensitive_super_attribute', 'enable_numeric_rounding',
  'enable_vacuum_boost', 'error_on_nondeterministic_update', 'json_serialization_enable', 'json_serialization_parse_nested_strings',
  'json_parse_dedup_attributes', 'mv_enable_aqmv_for_session', 'max_concurrency_scaling_clusters', 'max_cursor_result_set_size',
  'use_fips_ssl', 'cast_super_null_on_failure', 'navigate_super_null_on_error', 'parse_super_null_on_error', 'spectrum_query_maxerror',
  'stored_proc_log_min_messages', 'default_geometry_encoding', 'interval_forbid_composite_literals',
]);

/** The parameter a SET/RESET/SHOW names, or undefined for forms that name none (SET TIME ZONE, SET TRANSACTION, RESET ALL…). */
export function settingName(sig: Token[]): Token | undefined {
  if (!isWord(sig[0], 'set', 'reset', 'show')) return undefined;
  let i = 1;
  if (isWord(sig[0], 'set') && isWord(sig[i], 'session', 'local')) i++;
  const t = sig[i];
  if (!t || (t.kind !== 'word' && t.kind !== 'qident')) return undefined;
  if (isWord(t, 'all', 'transaction', 'role', 'names') || (isWord(t, 'time') && isWord(sig[i + 1], 'zone')) || (isWord(t, 'session') && isWord(sig[i + 1], 'authorization', 'characteristics'))) return undefined;
  return t;
}

/** Throws Redshift's error for a parameter it does not have. */
export function checkSetting(sig: Token[]): void {
  const t = settingName(sig);
  if (!t) return;
  const name = t.value.toLowerCase();
  if (!SHARED.has(name) && !REDSHIFT_ONLY.has(name)) {
    throw new StandinError('42704', `unrecognized configuration parameter "${name}"`, { offset: t.start });
  }
}
