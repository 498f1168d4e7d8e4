/**
 * The chart of the ratios, hand-written SVG: one group per workload metric, one bar per row (a server
 * and the client driving it), showing its performance relative to the workload's baseline in the
 * same run: raw `node:net` under the raw client (raw `node:tls` for the TLS workloads; for D-PROXY,
 * it-socket's server without `proxyProtocol`; for B-LF, its server with `lengthPrefixed()`) (baseline = 1, higher is better: throughput ratios as
 * they are, time and memory ratios inverted), on a log scale, with min–max whiskers and it-socket's
 * targets marked on the bar each holds (the strictest, where a bar has several).
 *
 * @module
 */

import { type Row, rowKey, rowLabel } from './protocol.js'
import { type CaseResult, fmt, type TargetResult } from './report.js'
import type { Summary } from './stats.js'

/**
 * Bar colours and legend by row key, in the order bars stand in a group (it-socket's rows side by
 * side); the it-* stack's own ping-pong client shares its colour.
 */
const STYLES: ReadonlyArray<{ keys: readonly string[]; color: string; legend: string }> = [
  { keys: ['it-socket'], color: '#2f6fdf', legend: 'it-socket server (raw client)' },
  { keys: ['it-socket+it-socket'], color: '#7a3fb8', legend: 'both ends it-socket' },
  {
    keys: ['it-stack', 'it-stack+it-stack'],
    color: '#e08a2c',
    legend: 'stream-to-it + it-pipe + it-length-prefixed (it-split for lines)',
  },
  { keys: ['it-socket-proxy'], color: '#1a9c8c', legend: 'it-socket server, proxyProtocol (D-PROXY)' },
  {
    keys: ['it-socket-lf'],
    color: '#4fa3e0',
    legend: 'it-socket server, lengthField() (B-LF: against lengthPrefixed)',
  },
  {
    keys: ['it-socket-lf-keep'],
    color: '#9cc8ec',
    legend: 'it-socket server, lengthField() keeping the header',
  },
  {
    keys: ['it-socket-observed'],
    color: '#c0392b',
    legend: 'it-socket server, every channel subscribed (D-OBS)',
  },
  { keys: ['it-socket-lf+it-socket'], color: '#b48fe0', legend: 'both ends it-socket, lengthField()' },
  { keys: ['raw-net'], color: '#999', legend: 'raw node:net (D-PROXY: against it-socket)' },
]

const styleIndex = (key: string): number => {
  const i = STYLES.findIndex((s) => s.keys.includes(key))
  return i < 0 ? STYLES.length : i
}
const colorOf = (key: string): string => STYLES[styleIndex(key)]?.color ?? '#888'

interface Bar {
  key: string
  label: string
  value: number
  min: number
  max: number
  /** The strictest target on this bar, on the chart's scale. */
  target: number | undefined
}

interface Group {
  label: string
  sub: string
  bars: Bar[]
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Relative performance from a ratio summary: as is when higher is better, inverted otherwise. */
function relative(s: Summary, better: 'higher' | 'lower'): [value: number, min: number, max: number] {
  return better === 'higher' ? [s.median, s.min, s.max] : [1 / s.median, 1 / s.max, 1 / s.min]
}

function groups(results: readonly CaseResult[], targets: readonly TargetResult[]): Group[] {
  const out: Group[] = []
  for (const c of results) {
    const baseline = c.baseline
    if (baseline === undefined) continue
    for (const m of c.metrics) {
      const bars: Bar[] = []
      for (const row of c.rows) {
        const key = rowKey(row)
        const r = c.summary[key]?.[m.key]?.ratio
        if (key === rowKey(baseline) || r === undefined || r.n === 0) continue
        const [value, min, max] = relative(r, m.better)
        bars.push({ key, label: rowLabel(row), value, min, max, target: undefined })
      }
      if (bars.length === 0) continue
      bars.sort((a, b) => styleIndex(a.key) - styleIndex(b.key))
      // A ratio target to raw is a level on this scale; one to another row is relative to its bar.
      const level = (versus: Row | undefined): number | undefined =>
        versus === undefined
          ? undefined
          : rowKey(versus) === rowKey(baseline)
            ? 1
            : bars.find((b) => b.key === rowKey(versus))?.value
      for (const bar of bars) {
        for (const t of targets) {
          if (t.caseId !== c.id || t.metric !== m.key || t.kind !== 'ratio' || rowKey(t.row) !== bar.key)
            continue
          const at = level(t.versus)
          if (at === undefined) continue
          const target = at * (m.better === 'higher' ? t.value : 1 / t.value)
          bar.target = Math.max(bar.target ?? 0, target)
        }
      }
      out.push({ label: c.id, sub: m.label, bars })
    }
  }
  return out
}

export function chart(
  results: readonly CaseResult[],
  targets: readonly TargetResult[],
  subtitle: string,
): string {
  const gs = groups(results, targets)
  const all = gs.flatMap((g) => g.bars.flatMap((b) => [b.min, b.max, b.target ?? Number.NaN]))
  const finite = all.filter((x) => Number.isFinite(x) && x > 0)
  const lo = 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(0.1, ...finite))))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(2, ...finite)))
  const left = 56
  const top = 64
  const plotH = 300
  const barW = 26
  const barStep = barW + 6
  const groupW = (g: Group): number => g.bars.length * barStep + 28
  const groupX: number[] = []
  let plotW = 0
  for (const g of gs) {
    groupX.push(left + plotW + 10)
    plotW += groupW(g)
  }
  // At least as wide as the title and the legend, for a run of one or two workloads (`--only`).
  const width = Math.max(left + plotW + 24, 960)
  const height = top + plotH + 64
  const y = (v: number): number => {
    const c = Math.min(hi, Math.max(lo, v))
    return top + plotH - ((Math.log10(c) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH
  }
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11" role="img">`,
    `<title>it-socket benchmark: performance relative to raw node:net or node:tls (${escapeXml(subtitle)})</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">Performance relative to raw node:net in the same run (raw = 1, higher is better, log scale)</text>`,
    `<text x="${left}" y="34" fill="#555">${escapeXml(`${subtitle}; TLS-*: relative to raw node:tls; D-PROXY: to it-socket without PROXY`)}</text>`,
  ]
  // Legend.
  let lx = left
  const shown = new Set(gs.flatMap((g) => g.bars.map((b) => b.key)))
  for (const style of STYLES.filter((s) => s.keys.some((k) => shown.has(k)))) {
    out.push(`<rect x="${lx}" y="42" width="12" height="12" fill="${style.color}"/>`)
    out.push(`<text x="${lx + 16}" y="52">${escapeXml(style.legend)}</text>`)
    lx += 40 + style.legend.length * 6
  }
  out.push(
    `<line x1="${lx}" y1="48" x2="${lx + 16}" y2="48" stroke="#c00" stroke-width="2" stroke-dasharray="4 2"/>`,
  )
  out.push(`<text x="${lx + 20}" y="52">it-socket target</text>`)
  // Axis: a tick per decade, plus 2 and 0.5 near 1.
  const ticks: number[] = []
  for (let v = lo; v <= hi * 1.0001; v *= 10) ticks.push(v)
  ticks.push(0.5, 2)
  for (const v of ticks.filter((t) => t >= lo && t <= hi)) {
    const ty = y(v).toFixed(1)
    const strong = Math.abs(v - 1) < 1e-9
    out.push(
      `<line x1="${left}" y1="${ty}" x2="${width - 16}" y2="${ty}" stroke="${strong ? '#333' : '#ddd'}" stroke-width="${strong ? 1.5 : 1}"${strong ? '' : ' stroke-dasharray="2 3"'}/>`,
    )
    out.push(`<text x="${left - 6}" y="${(Number(ty) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}×</text>`)
  }
  gs.forEach((g, i) => {
    const gx = groupX[i] as number
    g.bars.forEach((b, j) => {
      const x = gx + j * barStep
      const yv = y(b.value)
      const base = y(lo)
      out.push(
        `<rect x="${x}" y="${yv.toFixed(1)}" width="${barW}" height="${(base - yv).toFixed(1)}" fill="${colorOf(b.key)}"><title>${escapeXml(`${g.label} ${g.sub}: ${b.label} ${fmt(b.value)}× (${fmt(b.min)}–${fmt(b.max)})`)}</title></rect>`,
      )
      const cx = x + barW / 2
      out.push(
        `<line x1="${cx}" y1="${y(b.min).toFixed(1)}" x2="${cx}" y2="${y(b.max).toFixed(1)}" stroke="#222" stroke-width="1"/>`,
      )
      out.push(
        `<text x="${cx}" y="${(Math.min(yv, y(b.max)) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${fmt(b.value)}</text>`,
      )
      if (b.target !== undefined && Number.isFinite(b.target)) {
        const ty = y(b.target).toFixed(1)
        out.push(
          `<line x1="${x - 3}" y1="${ty}" x2="${x + barW + 3}" y2="${ty}" stroke="#c00" stroke-width="2" stroke-dasharray="4 2"/>`,
        )
      }
    })
    const tx = gx + (g.bars.length * barStep) / 2 - 3
    out.push(
      `<text x="${tx}" y="${top + plotH + 18}" text-anchor="middle" font-weight="bold">${escapeXml(g.label)}</text>`,
    )
    out.push(
      `<text x="${tx}" y="${top + plotH + 32}" text-anchor="middle" fill="#555">${escapeXml(g.sub)}</text>`,
    )
  })
  out.push('</svg>', '')
  return out.join('\n')
}
