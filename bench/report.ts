/**
 * Results: the records a run produces, their summaries (medians, min–max, ratios to the baseline of
 * the same run), the targets check, and the Markdown table printed on stdout and written to
 * `bench/results/latest.md`, with a section for each micro-benchmark run beside a case (D-PROXY's
 * header parsing).
 *
 * @module
 */

import { type ClientName, type Row, rowKey, rowLabel, type StackName } from './protocol.js'
import { type Summary, summarize } from './stats.js'
import type { Case, Metric, MicroBench, SyscallUnit, Target } from './workloads.js'

/**
 * The syscall counts a run records beside its metrics, per unit of the case (message, round trip,
 * MiB or connection): the client's and the server's, each process counting its own. Absent where not
 * counted.
 */
export const SYSCALL_KEYS = ['clientWrites', 'clientReads', 'serverWrites', 'serverReads'] as const

export type SyscallKey = (typeof SYSCALL_KEYS)[number]

/** One (row, run) of a case: its values by metric key (and syscall key), or why it failed. */
export interface RunRecord {
  run: number
  stack: StackName
  client: ClientName
  values?: Record<string, number>
  details?: Record<string, unknown>
  error?: string
}

/** One run of a case's micro-benchmark: its values by label, or why it failed. */
export interface MicroRecord {
  run: number
  values?: Record<string, number>
  details?: Record<string, unknown>
  error?: string
}

/** A case's micro-benchmark over the runs: each label's values, and the end-to-end difference. */
export interface MicroResult {
  title: string
  item: string
  unit: string
  about: string
  records: MicroRecord[]
  /** By label, in the order the benchmark printed them. */
  summary: Record<string, Summary>
  /** `MicroBench.difference` over the case's runs, where it has one. */
  difference?: { label: string; unit: string; value: Summary }
}

export interface MetricSummary {
  value: Summary
  /** row / baseline, per run, summarized; absent for the baseline itself, absolute cases and syscalls. */
  ratio?: Summary
}

export interface CaseResult {
  id: string
  group: string
  title: string
  pipeline: string
  baseline: Row | undefined
  rows: readonly Row[]
  metrics: readonly Metric[]
  /** What the syscall counts are per; undefined where none are counted. */
  syscallUnit: SyscallUnit | undefined
  records: RunRecord[]
  /** By `rowKey`: each metric's summary, and each syscall key's where counted. */
  summary: Record<string, Record<string, MetricSummary>>
  /** Failed runs by `rowKey`. */
  failures: Record<string, number>
  /** The micro-benchmark run beside the case, if it has one. */
  micro?: MicroResult
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

const isRow = (r: RunRecord, row: Row): boolean => r.stack === row.stack && r.client === row.client

function valueAt(records: readonly RunRecord[], row: Row, run: number, metric: string): number | undefined {
  return records.find((r) => isRow(r, row) && r.run === run)?.values?.[metric]
}

/** Per-run ratios `row / versus` of one metric, for the runs where both succeeded. */
export function ratios(records: readonly RunRecord[], row: Row, versus: Row, metric: string): number[] {
  const out: number[] = []
  for (const r of records) {
    if (!isRow(r, row) || r.values?.[metric] === undefined) continue
    const base = valueAt(records, versus, r.run, metric)
    if (base !== undefined && base !== 0) out.push((r.values[metric] as number) / base)
  }
  return out
}

/**
 * A micro-benchmark's runs summarized: each label's values over the runs that succeeded, and its
 * end-to-end counterpart from the case's records, per run (`difference`).
 */
export function summarizeMicro(
  m: MicroBench,
  baseline: Row | undefined,
  micro: MicroRecord[],
  records: readonly RunRecord[],
): MicroResult {
  const labels = [...new Set(micro.flatMap((r) => Object.keys(r.values ?? {})))]
  const summary: Record<string, Summary> = {}
  for (const label of labels) {
    summary[label] = summarize(
      micro.flatMap((r) => (r.values?.[label] === undefined ? [] : [r.values[label]])),
    )
  }
  const { title, item, unit, about } = m
  const result: MicroResult = { title, item, unit, about, records: micro, summary }
  const d = m.difference
  if (d !== undefined && baseline !== undefined) {
    const per: number[] = []
    for (const r of records) {
      const mine = isRow(r, d.row) ? r.values?.[d.metric] : undefined
      const base = mine === undefined ? undefined : valueAt(records, baseline, r.run, d.metric)
      if (mine !== undefined && base !== undefined) per.push(((mine - base) * d.scale) / d.per)
    }
    result.difference = { label: d.label, unit: d.unit, value: summarize(per) }
  }
  return result
}

export function summarizeCase(c: Case, records: RunRecord[], micro: MicroRecord[] = []): CaseResult {
  const summary: CaseResult['summary'] = {}
  const failures: CaseResult['failures'] = {}
  for (const row of c.rows) {
    const key = rowKey(row)
    const mine = records.filter((r) => isRow(r, row))
    const failed = mine.filter((r) => r.error !== undefined).length
    if (failed > 0) failures[key] = failed
    const values = (k: string): Summary =>
      summarize(mine.flatMap((r) => (r.values?.[k] === undefined ? [] : [r.values[k] as number])))
    const byMetric: Record<string, MetricSummary> = {}
    for (const m of c.metrics) {
      const entry: MetricSummary = { value: values(m.key) }
      if (c.baseline !== undefined && key !== rowKey(c.baseline)) {
        entry.ratio = summarize(ratios(records, row, c.baseline, m.key))
      }
      byMetric[m.key] = entry
    }
    if (c.syscalls !== undefined) for (const k of SYSCALL_KEYS) byMetric[k] = { value: values(k) }
    summary[key] = byMetric
  }
  return {
    id: c.id,
    group: c.group,
    title: c.title,
    pipeline: c.pipeline,
    baseline: c.baseline,
    rows: c.rows,
    metrics: c.metrics,
    syscallUnit: c.syscalls?.unit,
    records,
    summary,
    failures,
    ...(c.micro === undefined ? {} : { micro: summarizeMicro(c.micro, c.baseline, micro, records) }),
  }
}

export function checkTargets(targets: readonly Target[], results: readonly CaseResult[]): TargetResult[] {
  return targets.flatMap((t) => {
    const c = results.find((r) => r.id === t.caseId)
    if (c === undefined) return []
    const measured =
      t.kind === 'ratio'
        ? t.versus === undefined
          ? undefined
          : summarize(ratios(c.records, t.row, t.versus, t.metric))
        : t.kind === 'micro'
          ? c.micro?.summary[t.metric]
          : c.summary[rowKey(t.row)]?.[t.metric]?.value
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

/**
 * A syscalls cell: the median writes and reads per unit, `writes / reads`; "n/a" where the case
 * counts them and this row has none (no `/proc/self/io`), empty where the case counts none.
 */
function syscallCell(c: CaseResult, key: string, writes: SyscallKey, reads: SyscallKey): string {
  if (c.syscallUnit === undefined) return ''
  const w = c.summary[key]?.[writes]?.value
  const r = c.summary[key]?.[reads]?.value
  if (w === undefined || r === undefined || w.n === 0 || r.n === 0) return 'n/a'
  const per = c.syscallUnit === 'MiB' ? ' per MiB' : c.syscallUnit === 'connection' ? ' per connection' : ''
  return `${fmt(w.median)} / ${fmt(r.median)}${per}`
}

/** The results table in Markdown: one row per (case, metric, row). */
export function resultsTable(results: readonly CaseResult[]): string {
  const rows = [
    '| workload | metric | stack | median | min–max | ratio to baseline (min–max) | runs | client syscalls per msg (writes / reads) | server syscalls per msg (writes / reads) |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const c of results) {
    c.metrics.forEach((m, i) => {
      for (const row of c.rows) {
        const key = rowKey(row)
        const s = c.summary[key]?.[m.key]
        if (s === undefined) continue
        const failed = c.failures[key] ?? 0
        const runs = `${s.value.n}${failed > 0 ? ` (${failed} failed)` : ''}`
        const better = m.better === 'higher' ? '↑' : '↓'
        const base = c.baseline !== undefined && key === rowKey(c.baseline)
        // Syscalls are per run, not per metric: shown once, on the case's first metric.
        const client = i === 0 ? syscallCell(c, key, 'clientWrites', 'clientReads') : ''
        const server = i === 0 ? syscallCell(c, key, 'serverWrites', 'serverReads') : ''
        rows.push(
          `| ${c.id} | ${m.label} (${m.unit}) ${better} | ${rowLabel(row)} | ${fmt(s.value.median)} | ${range(s.value)} | ${base ? '1 (baseline)' : ratioCell(s.ratio)} | ${runs} | ${client} | ${server} |`,
        )
      }
    })
  }
  return rows.join('\n')
}

export function targetsTable(targets: readonly TargetResult[], results: readonly CaseResult[]): string {
  const rows = [
    '| workload | it-socket at | target | measured (min–max) | met |',
    '| --- | --- | --- | ---: | :---: |',
  ]
  for (const t of targets) {
    const m = t.measured
    // Nothing measured: every run failed, or (syscalls) the row ran but could not count them.
    const c = results.find((r) => r.id === t.caseId)
    const ran =
      t.kind === 'micro'
        ? c?.micro?.records.some((r) => r.error === undefined)
        : c?.records.some((r) => isRow(r, t.row) && r.error === undefined)
    const measured =
      m === undefined
        ? ran === true
          ? 'n/a'
          : 'failed'
        : `${fmt(m.median)}${t.kind === 'ratio' ? '×' : ''} (${range(m)})`
    const at =
      t.kind === 'micro'
        ? `in memory: ${t.metric}`
        : t.row.client !== 'raw'
          ? 'both ends'
          : t.row.stack === 'it-socket-observed'
            ? 'server with every channel subscribed (raw client)'
            : t.row.stack === 'it-socket-proxy'
              ? 'server with proxyProtocol (raw client)'
              : t.row.stack === 'it-socket-lf'
                ? 'server with lengthField() (raw client)'
                : 'server (raw client)'
    rows.push(
      `| ${t.caseId} | ${at} | ${t.text} | ${measured} | ${t.met === undefined ? '?' : t.met ? 'yes' : '**no**'} |`,
    )
  }
  return rows.join('\n')
}

export function failuresList(results: readonly CaseResult[]): string {
  const lines: string[] = []
  for (const c of results) {
    for (const r of c.records) {
      if (r.error !== undefined)
        lines.push(`- ${c.id} ${rowLabel(r)} run ${r.run + 1}: ${r.error.split('\n')[0]}`)
    }
    for (const r of c.micro?.records ?? []) {
      if (r.error !== undefined)
        lines.push(`- ${c.id} ${c.micro?.title} run ${r.run + 1}: ${r.error.split('\n')[0]}`)
    }
  }
  return lines.join('\n')
}

/**
 * A case's micro-benchmark section: what it measures, a table of its values (median, min–max, runs)
 * and, where it has one, the end-to-end difference from the case's own runs. Reported, no target.
 */
export function microSection(c: CaseResult): string {
  const m = c.micro
  if (m === undefined) return ''
  const rows = [
    `## ${c.id}: ${m.title}`,
    '',
    m.about,
    '',
    `| ${m.item} | ${m.unit}, median | min–max | runs |`,
    '| --- | ---: | ---: | ---: |',
  ]
  for (const [label, s] of Object.entries(m.summary)) {
    rows.push(`| ${label} | **${fmt(s.median)}** | ${range(s)} | ${s.n} |`)
  }
  const d = m.difference
  if (d !== undefined) {
    rows.push(
      '',
      d.value.n === 0
        ? `${d.label}: no run measured both rows.`
        : `${d.label}: **${fmt(d.value.median)} ${d.unit}** (${range(d.value)}), median of ${d.value.n} run(s); noisy, as the difference of two times.`,
    )
  }
  return rows.join('\n')
}

export function markdown(results: Results): string {
  const m = results.machine
  const failures = failuresList(results.cases)
  return [
    `# it-socket benchmark: ${results.quick ? 'quick' : 'full'} run`,
    '',
    `${m.date} · ${m.cpu}, ${m.cores} cores · Node ${m.node} · ${m.os} · commit ${m.commit} · load average ${m.load[0].toFixed(2)} at start, ${m.load[1].toFixed(2)} at end`,
    `Command: \`${results.command}\` · ${results.runs} run(s) per row, rows interleaved · server and client ${m.pinned ? 'pinned with taskset (server CPU 1, client CPU 0; C: both CPU 0)' : 'not pinned (no taskset)'} · ${Math.round(results.seconds)} s`,
    '',
    'Ratios are row / raw node:net (server and client) in the same run, for the TLS workloads row / raw node:tls, for D-PROXY row / the it-socket server without proxyProtocol, for D-OBS row / the it-socket server with no subscriber, and for B-LF row / the it-socket server with lengthPrefixed({ lengthEncoding: "uint32be" }) (median and min–max over runs); the baseline row says "1 (baseline)". ↑: higher is better; ↓: lower is better. A stack named alone is that server under the hand-written raw node:net client (node:tls for TLS); "it-socket server + it-socket client" is both ends it-socket. Syscalls: read- and write-type syscalls of each process (/proc/self/io) over the whole exchange, per message (B-LF too; C, D, D-PROXY: per round trip; A, TLS-A: per MiB; TLS-H: per connection, handshake included); n/a where not readable.',
    '',
    resultsTable(results.cases),
    ...results.cases.flatMap((c) => (c.micro === undefined ? [] : ['', microSection(c)])),
    '',
    '## Targets',
    '',
    targetsTable(results.targets, results.cases),
    ...(failures === '' ? [] : ['', '## Failures', '', failures]),
    '',
  ].join('\n')
}
