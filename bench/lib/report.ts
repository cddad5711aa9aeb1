/** How a figure is judged against its target. */
export type Comparator = '<=' | '>=' | '==';

export interface Target {
  readonly op: Comparator;
  readonly value: number;
}

/** One reported number (or fact), with its target when it has one. */
export interface Figure {
  readonly key: string;
  readonly label: string;
  readonly value: number | string;
  readonly unit?: string;
  readonly target?: Target;
  /** Present when there is a target: whether the measured value meets it. */
  readonly met?: boolean;
  /** By how much a missed target was missed, in the figure's unit (value − target). */
  readonly missBy?: number;
  readonly note?: string;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly figures: Figure[];
  /** What the numbers mean, how they were taken, and why a target was missed. */
  readonly notes: string[];
  /** Raw measurements for the JSON (per-step tables, samples' summaries, …). */
  readonly details: Record<string, unknown>;
  readonly seconds: number;
}

export function meets(value: number, target: Target, epsilon = 1e-9): boolean {
  if (target.op === '<=') return value <= target.value + epsilon;
  if (target.op === '>=') return value >= target.value - epsilon;
  return Math.abs(value - target.value) <= epsilon;
}

export function figure(key: string, label: string, value: number | string, options: { unit?: string; target?: Target; note?: string } = {}): Figure {
  const base = { key, label, value, ...(options.unit ? { unit: options.unit } : {}), ...(options.note ? { note: options.note } : {}) };
  if (!options.target) return base;
  if (typeof value !== 'number') throw new TypeError(`Figure ${key} has a target but a non-numeric value ${JSON.stringify(value)}.`);
  const met = meets(value, options.target);
  return { ...base, target: options.target, met, ...(met ? {} : { missBy: value - options.target.value }) };
}

export function formatValue(value: number | string, unit?: string): string {
  if (typeof value === 'string') return value;
  const abs = Math.abs(value);
  const text = Number.isInteger(value) ? value.toLocaleString('en-US') : abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
  return unit ? `${text} ${unit}` : text;
}

function targetText(f: Figure): string {
  if (!f.target) return '';
  return `${f.target.op} ${formatValue(f.target.value, f.unit)}`;
}

function verdict(f: Figure): string {
  if (f.met === undefined) return '';
  return f.met ? 'met' : `MISSED by ${formatValue(Math.abs(f.missBy ?? 0), f.unit)}`;
}

/** Plain-text table for the terminal. */
export function renderTable(results: readonly ScenarioResult[]): string {
  const rows: string[][] = [['#', 'figure', 'value', 'target', 'verdict']];
  for (const r of results) {
    r.figures.forEach((f, i) => rows.push([i === 0 ? `${r.id}` : '', f.label, formatValue(f.value, f.unit), targetText(f), verdict(f)]));
  }
  const widths = rows[0]!.map((_, c) => Math.min(70, Math.max(...rows.map((row) => row[c]!.length))));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous = '';
  for (const row of rows.slice(1)) {
    if (row[0] && previous) out.push('');
    if (row[0]) previous = row[0];
    out.push(line(row));
  }
  return out.join('\n');
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

/** Markdown summary: one table of every figure, then each scenario's notes. */
export function renderMarkdown(results: readonly ScenarioResult[], meta: Record<string, unknown>): string {
  const lines: string[] = [];
  lines.push(`Run: ${String(meta.finishedAt)} · ${String(meta.mode)} · Node ${String(meta.node)} · ${String(meta.cpus)} CPUs · DynamoDB: ${String(meta.dynamo)} · ${String(meta.totalSeconds)} s`, '');
  lines.push('| # | figure | value | target | verdict |', '|---|---|---|---|---|');
  for (const r of results) {
    r.figures.forEach((f, i) => lines.push(`| ${i === 0 ? r.id : ''} | ${mdCell(f.label)} | ${mdCell(formatValue(f.value, f.unit))} | ${mdCell(targetText(f))} | ${mdCell(verdict(f))} |`));
  }
  for (const r of results) {
    lines.push('', `**${r.id}. ${r.title}** (${r.seconds.toFixed(0)} s)`, '');
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  return lines.join('\n');
}
