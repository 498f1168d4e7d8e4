/**
 * Results: the records a run produces, their summaries (medians, min–max, ratios to the baseline of
 * the same run), the targets check, and the Markdown table printed on stdout and written to
 * `bench/results/latest.md`.
 *
 * @module
 */

import { STACK_LABELS, type StackName } from './protocol.js'
import { type Summary, summarize } from './stats.js'
import type { Case, Metric, Target } from './workloads.js'

/** One (stack, run) of a case: its values by metric key, or why it failed. */
export interface RunRecord {
  run: number
  stack: StackName
  values?: Record<string, number>
  details?: Record<string, unknown>
  error?: string
}

export interface MetricSummary {
  value: Summary
  /** stack / baseline, per run, summarized; absent for the baseline itself and absolute cases. */
  ratio?: Summary
}

export interface CaseResult {
  id: string
  group: string
  title: string
  pipeline: string
  baseline: StackName | undefined
  stacks: readonly StackName[]
  metrics: readonly Metric[]
  records: RunRecord[]
  summary: Partial<Record<StackName, Record<string, MetricSummary>>>
  failures: Partial<Record<StackName, number>>
}

export interface TargetResult extends Target {
  measured: Summary | undefined
  met: boolean | undefined
}

export interface Machine {
  cpu: string
  cores: number
  node: string
  os: string
  date: string
  pinned: boolean
  commit: string
  /** 1-minute load average when the run started and when it ended: other work on the machine shows here. */
  load: [start: number, end: number]
}

export interface Results {
  machine: Machine
  command: string
  quick: boolean
  runs: number
  seconds: number
  cases: CaseResult[]
  targets: TargetResult[]
}

function valueAt(
  records: readonly RunRecord[],
  stack: StackName,
  run: number,
  metric: string,
): number | undefined {
  return records.find((r) => r.stack === stack && r.run === run)?.values?.[metric]
}

/** Per-run ratios `stack / versus` of one metric, for the runs where both succeeded. */
export function ratios(
  records: readonly RunRecord[],
  stack: StackName,
  versus: StackName,
  metric: string,
): number[] {
  const out: number[] = []
  for (const r of records) {
    if (r.stack !== stack || r.values?.[metric] === undefined) continue
    const base = valueAt(records, versus, r.run, metric)
    if (base !== undefined && base !== 0) out.push((r.values[metric] as number) / base)
  }
  return out
}

export function summarizeCase(c: Case, records: RunRecord[]): CaseResult {
  const summary: CaseResult['summary'] = {}
  const failures: CaseResult['failures'] = {}
  for (const stack of c.stacks) {
    const mine = records.filter((r) => r.stack === stack)
    const failed = mine.filter((r) => r.error !== undefined).length
    if (failed > 0) failures[stack] = failed
    const byMetric: Record<string, MetricSummary> = {}
    for (const m of c.metrics) {
      const value = summarize(
        mine.flatMap((r) => (r.values?.[m.key] === undefined ? [] : [r.values[m.key] as number])),
      )
      const entry: MetricSummary = { value }
      if (c.baseline !== undefined && stack !== c.baseline) {
        entry.ratio = summarize(ratios(records, stack, c.baseline, m.key))
      }
      byMetric[m.key] = entry
    }
    summary[stack] = byMetric
  }
  return {
    id: c.id,
    group: c.group,
    title: c.title,
    pipeline: c.pipeline,
    baseline: c.baseline,
    stacks: c.stacks,
    metrics: c.metrics,
    records,
    summary,
    failures,
  }
}

export function checkTargets(targets: readonly Target[], results: readonly CaseResult[]): TargetResult[] {
  return targets.flatMap((t) => {
    const c = results.find((r) => r.id === t.caseId)
    if (c === undefined) return []
    const measured =
      t.kind === 'ratio'
        ? summarize(ratios(c.records, 'it-socket', t.versus as StackName, t.metric))
        : c.summary['it-socket']?.[t.metric]?.value
    const ok = measured !== undefined && measured.n > 0
    const met = !ok ? undefined : t.op === '>=' ? measured.median >= t.value : measured.median <= t.value
    return [{ ...t, measured: ok ? measured : undefined, met }]
  })
}

/** A number for a table: thousands separators for big ones, 2 significant decimals for small ones. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–'
  const a = Math.abs(x)
  if (a >= 1000) return Math.round(x).toLocaleString('en-US')
  if (a >= 100) return x.toFixed(0)
  if (a >= 10) return x.toFixed(1)
  if (a >= 1) return x.toFixed(2)
  return x.toPrecision(2)
}

function range(s: Summary): string {
  return s.n === 0 ? '–' : `${fmt(s.min)}–${fmt(s.max)}`
}

function ratioCell(s: Summary | undefined): string {
  if (s === undefined || s.n === 0) return ''
  return `**${fmt(s.median)}×** (${fmt(s.min)}–${fmt(s.max)})`
}

/** The results table in Markdown: one row per (case, metric, stack). */
export function resultsTable(results: readonly CaseResult[]): string {
  const rows = [
    '| workload | metric | stack | median | min–max | ratio to raw net (min–max) | runs |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ]
  for (const c of results) {
    for (const m of c.metrics) {
      for (const stack of c.stacks) {
        const s = c.summary[stack]?.[m.key]
        if (s === undefined) continue
        const failed = c.failures[stack] ?? 0
        const runs = `${s.value.n}${failed > 0 ? ` (${failed} failed)` : ''}`
        const better = m.better === 'higher' ? '↑' : '↓'
        rows.push(
          `| ${c.id} | ${m.label} (${m.unit}) ${better} | ${STACK_LABELS[stack]} | ${fmt(s.value.median)} | ${range(s.value)} | ${stack === c.baseline ? '1 (baseline)' : ratioCell(s.ratio)} | ${runs} |`,
        )
      }
    }
  }
  return rows.join('\n')
}

export function targetsTable(targets: readonly TargetResult[]): string {
  const rows = ['| workload | target | it-socket measured (min–max) | met |', '| --- | --- | ---: | :---: |']
  for (const t of targets) {
    const m = t.measured
    const measured =
      m === undefined ? 'failed' : `${fmt(m.median)}${t.kind === 'ratio' ? '×' : ''} (${range(m)})`
    rows.push(
      `| ${t.caseId} | ${t.text} | ${measured} | ${t.met === undefined ? '?' : t.met ? 'yes' : '**no**'} |`,
    )
  }
  return rows.join('\n')
}

export function failuresList(results: readonly CaseResult[]): string {
  const lines: string[] = []
  for (const c of results) {
    for (const r of c.records) {
      if (r.error !== undefined)
        lines.push(`- ${c.id} ${r.stack} run ${r.run + 1}: ${r.error.split('\n')[0]}`)
    }
  }
  return lines.join('\n')
}

export function markdown(results: Results): string {
  const m = results.machine
  const failures = failuresList(results.cases)
  return [
    `# it-socket benchmark: ${results.quick ? 'quick' : 'full'} run`,
    '',
    `${m.date} · ${m.cpu}, ${m.cores} cores · Node ${m.node} · ${m.os} · commit ${m.commit} · load average ${m.load[0].toFixed(2)} at start, ${m.load[1].toFixed(2)} at end`,
    `Command: \`${results.command}\` · ${results.runs} run(s) per stack, stacks interleaved · server and client ${m.pinned ? 'pinned with taskset (server CPU 1, client CPU 0; C: both CPU 0)' : 'not pinned (no taskset)'} · ${Math.round(results.seconds)} s`,
    '',
    'Ratios are stack / raw node:net in the same run (median and min–max over runs). ↑: higher is better; ↓: lower is better.',
    '',
    resultsTable(results.cases),
    '',
    '## Targets',
    '',
    targetsTable(results.targets),
    ...(failures === '' ? [] : ['', '## Failures', '', failures]),
    '',
  ].join('\n')
}
