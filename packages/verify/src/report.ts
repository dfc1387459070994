/**
 * Renders a {@link VerifyReport}: a table with the details that matter below it (drifted
 * properties, failed events, template differences, what to do), or JSON for pipelines.
 */
import { CheckName, CheckResult } from './checks';
import { TargetReport, VerifyReport } from './verify';

const COLUMNS: Record<'verify' | 'preflight', CheckName[]> = {
  verify: ['status', 'template', 'drift'],
  preflight: ['bootstrap'],
};
const HEADINGS: Record<CheckName, string> = { bootstrap: 'BOOTSTRAP', status: 'STATUS', template: 'TEMPLATE', drift: 'DRIFT' };
const RESULTS: Record<TargetReport['result'], string> = {
  'in-sync': 'in sync', 'not-in-sync': 'NOT IN SYNC', 'error': 'ERROR', 'skipped': 'SKIPPED',
};

/** The report as JSON (stable shape: mode, exitCode, result, callerAccount, targets, error). */
export function renderJson(report: VerifyReport): string {
  return JSON.stringify(report, undefined, 2);
}

/** The report as a table followed by details and a summary line. */
export function renderTable(report: VerifyReport): string {
  const lines: string[] = [];
  if (report.error) {
    lines.push(`error (${report.error.kind}): ${report.error.message}`, `  what to do: ${report.error.advice}`, '');
    lines.push(`exit code ${report.exitCode}`);
    return lines.join('\n') + '\n';
  }
  const names = COLUMNS[report.mode];
  const header = [report.mode === 'preflight' ? 'ENVIRONMENT' : 'STACK', 'ACCOUNT', 'REGION',
    ...names.map((n) => HEADINGS[n]), 'RESULT'];
  const rows = report.targets.map((t) => [
    t.name, t.account ?? '?', t.region ?? '?',
    ...names.map((n) => t.checks.find((c) => c.name === n)?.cell ?? '-'),
    RESULTS[t.result],
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  lines.push(format(header), ...rows.map(format));

  for (const t of report.targets) {
    const notable = t.checks.filter((c) => c.state !== 'ok' && !(c.state === 'skipped' && t.result !== 'skipped'));
    if (notable.length === 0) continue;
    lines.push('', `${t.name}${t.stacks ? ` (${t.stacks.join(', ')})` : ''}:`);
    for (const check of notable) lines.push(...details(check));
  }
  lines.push('', summaryLine(report));
  return lines.join('\n') + '\n';
}

function details(check: CheckResult): string[] {
  const out = [`  ${check.name}: ${check.summary}`];
  for (const r of check.driftedResources ?? []) {
    out.push(`    ${r.logicalId} (${r.resourceType}) ${r.status}${r.physicalId ? `  ${r.physicalId}` : ''}`);
    for (const d of r.differences) {
      out.push(`      ${d.path}: expected ${show(d.expected)}, actual ${show(d.actual)}  [${d.type}]`);
    }
  }
  for (const e of check.failedEvents ?? []) {
    out.push(`    ${e.timestamp ?? ''} ${e.logicalId ?? '?'} (${e.resourceType ?? '?'}) ${e.status ?? ''}: ${e.reason ?? 'no reason given'}`);
  }
  for (const d of check.templateDifferences ?? []) {
    out.push(`    ${d.path}: ${d.change === 'changed' ? 'changed' : d.change === 'only-synthesized' ? 'not deployed yet' : 'deployed, no longer synthesized'}`);
  }
  if (check.advice) out.push(`    what to do: ${check.advice}`);
  return out;
}

function show(value: string | undefined): string {
  if (value === undefined || value === '') return '(none)';
  return value.length > 120 ? `${value.slice(0, 117)}...` : value;
}

function summaryLine(report: VerifyReport): string {
  const count = (r: TargetReport['result']) => report.targets.filter((t) => t.result === r).length;
  const what = report.mode === 'preflight' ? 'environment(s)' : 'stack(s)';
  const verdict = report.exitCode === 0 ? 'all in sync' : report.exitCode === 1 ? 'not in sync' : 'could not check everything';
  return `${report.targets.length} ${what}: ${count('in-sync')} in sync, ${count('not-in-sync')} not in sync, ` +
    `${count('error')} error(s), ${count('skipped')} skipped; ${verdict} (exit code ${report.exitCode})`;
}
