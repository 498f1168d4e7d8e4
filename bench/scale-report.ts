/**
 * What the scale run measures per stack, and its table on stdout.
 *
 * @module
 */

import type { ProbeSummary } from './scale-probe.js'
import type { Counters } from './scale-system.js'

/** The stacks the scale run compares: the raw `node:net` baseline and it-socket. */
export type ScaleStack = 'raw-net' | 'it-socket'

/** The phases the probe reports separately. */
export const PHASES = ['opening', 'idle', 'closing'] as const

/** One stack's run. Sizes in bytes, times in ms. */
export interface StackResult {
  stack: ScaleStack
  connections: number
  /** From the client's first connect to the last echo. */
  openMs: number
  /** Echoed connections per second over `openMs`. */
  acceptRate: number
  /** Server RSS and heap after the warm-up (forced GCs), with every connection idle, after closing. */
  rss: { before: number; idle: number; closed: number }
  heapUsed: { before: number; idle: number; closed: number }
  /** (idle − before) ÷ connections. */
  rssPerConn: number
  heapPerConn: number
  /** Connections the server held open while idle (its `conns`). */
  serverConns: number
  /** From the orchestrator telling the client to end every socket to the server holding none. */
  closeMs: number
  /** From the client's first `end()` to its last socket's close. */
  clientCloseMs: number
  /** Connections closed or reset by the server while they should have been idle. */
  lostWhileIdle: number
  probes: Record<(typeof PHASES)[number] | 'all', ProbeSummary>
  /** The kernel's TCP counters over the stack's run (whole network namespace). */
  counters: Counters
}

const KiB = 1024
const MiB = 1024 * KiB

function pad(cells: string[][]): string {
  const widths = (cells[0] ?? []).map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)))
  return cells
    .map((row) =>
      row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n')
}

const num = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a'

/** The per-stack table, a ratio column (it-socket ÷ raw) when both ran, and the probe table. */
export function table(results: readonly StackResult[]): string {
  const raw = results.find((r) => r.stack === 'raw-net')
  const it = results.find((r) => r.stack === 'it-socket')
  const rows: Array<[string, (r: StackResult) => number, number]> = [
    ['connections (held idle)', (r) => r.serverConns, 0],
    ['open: ms', (r) => r.openMs, 0],
    ['accept rate: conn/s', (r) => r.acceptRate, 0],
    ['server RSS before: MiB', (r) => r.rss.before / MiB, 1],
    ['server RSS idle: MiB', (r) => r.rss.idle / MiB, 1],
    ['RSS per connection: KiB', (r) => r.rssPerConn / KiB, 2],
    ['heap per connection: KiB', (r) => r.heapPerConn / KiB, 2],
    ['close (server at 0): ms', (r) => r.closeMs, 0],
    ['close (client all closed): ms', (r) => r.clientCloseMs, 0],
    ['server RSS after close: MiB', (r) => r.rss.closed / MiB, 1],
    ['lost while idle', (r) => r.lostWhileIdle, 0],
    ['accept queue overflows (kernel)', (r) => r.counters.ListenOverflows, 0],
    ['SYNs sent again (kernel)', (r) => r.counters.TCPSynRetrans, 0],
  ]
  const head = ['', ...results.map((r) => r.stack), ...(raw && it ? ['it-socket ÷ raw'] : [])]
  const body = rows.map(([label, get, digits]) => [
    label,
    ...results.map((r) => num(get(r), digits)),
    ...(raw && it ? [num(get(it) / get(raw), 2)] : []),
  ])
  const probeHead = ['probe (ms)', 'phase', 'count', 'failed', 'p50', 'p99', 'max']
  const probeBody = results.flatMap((r) =>
    [...PHASES, 'all' as const].map((phase) => {
      const p = r.probes[phase]
      return [r.stack, phase, num(p.count), num(p.failed), num(p.p50, 1), num(p.p99, 1), num(p.max, 1)]
    }),
  )
  return `${pad([head, ...body])}\n\n${pad([probeHead, ...probeBody])}`
}
