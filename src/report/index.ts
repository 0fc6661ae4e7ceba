/**
 * `sparkify report`: the analytics team's questions (sql/report/NN-name.sql),
 * answered as typed data, aligned text, JSON (the Report itself) or one
 * self-contained HTML page.
 */
export { runReport, WEEKDAYS, type ReportOptions } from './run-report.ts';
export { renderReportText } from './render-text.ts';
export { renderReportHtml, writeReportHtml } from './render-html.ts';
export { REPORT_SQL, reportSqlDir, type ReportQuestion } from './sql-files.ts';
export { agentFamily, summarizeAgents } from './user-agents.ts';
export type { Report, Overview, LevelChanges, Devices, NamedPlays } from './types.ts';
