/**
 * The workloads (the table, A to F), their sizes in full and quick mode, the metrics each
 * reports, and the targets it-socket is held to.
 *
 * @module
 */

import type { ClientSpec, ServerMode, StackName } from './protocol.js'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

export interface Metric {
  key: string
  label: string
  unit: string
  /** Which way is better: ratios are stack / baseline either way; the chart inverts `lower`. */
  better: 'higher' | 'lower'
}

/**
 * How the orchestrator drives a case: `plain` runs the client to its result; `peak` also reads the
 * server's peak RSS at the end; `idle` and `stall` measure the server's RSS at the client's events.
 */
export type Flow = 'plain' | 'peak' | 'idle' | 'stall'

export interface Case {
  id: string
  /** The workload letter; `--only` selects by it. */
  group: string
  title: string
  /** What the it-socket server runs, for the docs. */
  pipeline: string
  mode: ServerMode
  stacks: readonly StackName[]
  /** Ratios are to this stack's value in the same run; none for absolute workloads (F). */
  baseline: StackName | undefined
  /** Client and server on the same CPU (C), instead of one each. */
  sameCpu: boolean
  flow: Flow
  metrics: readonly Metric[]
  client: (port: number, stack: StackName) => ClientSpec
  /** Per (stack, run): beyond it both processes are killed and the run counts as failed. */
  timeoutMs: number
}

export interface Target {
  caseId: string
  metric: string
  /** `ratio`: it-socket / `versus` per run, median; `absolute`: it-socket's median. */
  kind: 'ratio' | 'absolute'
  versus?: StackName
  op: '>=' | '<='
  value: number
  text: string
}

const ALL: readonly StackName[] = ['it-socket', 'raw-net', 'it-stack']
const msgps: Metric = { key: 'msgps', label: 'messages/s', unit: 'msg/s', better: 'higher' }

/** Sizes for one mode (full or quick). */
interface Sizes {
  bulkBytes: number
  frames: Record<'64' | '1k' | '64k' | 'lines', number>
  pingpong: number
  many: [connections: number, roundTrips: number]
  idle: number
  stallBytes: number
  timeoutScale: number
}

const FULL: Sizes = {
  bulkBytes: 256 * MiB,
  frames: { '64': 600_000, '1k': 200_000, '64k': 8_000, lines: 400_000 },
  pingpong: 20_000,
  many: [1000, 50],
  idle: 2000,
  stallBytes: GiB,
  timeoutScale: 1,
}

const QUICK: Sizes = {
  bulkBytes: 32 * MiB,
  frames: { '64': 60_000, '1k': 20_000, '64k': 1_000, lines: 40_000 },
  pingpong: 3_000,
  many: [200, 20],
  idle: 500,
  stallBytes: GiB,
  timeoutScale: 0.5,
}

const WINDOW = 2 * MiB

export function cases(quick: boolean): Case[] {
  const s = quick ? QUICK : FULL
  const t = (ms: number): number => Math.round(ms * s.timeoutScale)
  const framed = (id: string, size: number, count: number, label: string): Case => ({
    id,
    group: 'B',
    title: `B framed echo, ${label}, pipelined`,
    pipeline: 'pipe(conn, lp.decode, lp.encode, conn)',
    mode: 'lp',
    stacks: ALL,
    baseline: 'raw-net',
    sameCpu: false,
    flow: 'plain',
    metrics: [msgps],
    client: (port) => ({ kind: 'frames', port, codec: 'lp', size, count, window: WINDOW }),
    timeoutMs: t(120_000),
  })
  return [
    {
      id: 'A',
      group: 'A',
      title: `A bulk echo, ${s.bulkBytes / MiB} MiB in 64 KiB writes`,
      pipeline: 'pipe(conn, conn)',
      mode: 'bytes',
      stacks: ALL,
      baseline: 'raw-net',
      sameCpu: false,
      flow: 'plain',
      metrics: [{ key: 'mibps', label: 'throughput', unit: 'MiB/s', better: 'higher' }],
      client: (port) => ({
        kind: 'bulk',
        port,
        totalBytes: s.bulkBytes,
        writeSize: 64 * KiB,
        window: 4 * MiB,
      }),
      timeoutMs: t(60_000),
    },
    framed('B-64', 64, s.frames['64'], '64 B'),
    framed('B-1k', KiB, s.frames['1k'], '1 KiB'),
    framed('B-64k', 64 * KiB, s.frames['64k'], '64 KiB'),
    {
      id: "B'-64",
      group: "B'",
      title: "B' line echo, 64 B lines, pipelined",
      pipeline: 'pipe(conn, l.decode, l.encode, conn)',
      mode: 'lines',
      stacks: ALL,
      baseline: 'raw-net',
      sameCpu: false,
      flow: 'plain',
      metrics: [msgps],
      client: (port) => ({
        kind: 'frames',
        port,
        codec: 'lines',
        size: 64,
        count: s.frames.lines,
        window: WINDOW,
      }),
      timeoutMs: t(120_000),
    },
    {
      id: 'C',
      group: 'C',
      title: 'C ping-pong, one 64 B frame at a time, same CPU',
      pipeline: 'framed(conn, lengthPrefixed()).request(msg) against the lp echo',
      mode: 'lp',
      stacks: ALL,
      baseline: 'raw-net',
      sameCpu: true,
      flow: 'plain',
      metrics: [
        { key: 'p50', label: 'p50 round trip', unit: 'µs', better: 'lower' },
        { key: 'p99', label: 'p99 round trip', unit: 'µs', better: 'lower' },
      ],
      client: (port, stack) => ({
        kind: 'pingpong',
        port,
        stack,
        size: 64,
        count: s.pingpong,
        warmup: Math.ceil(s.pingpong / 10),
      }),
      timeoutMs: t(60_000),
    },
    {
      id: 'D',
      group: 'D',
      title: `D ${s.many[0]} concurrent connections × ${s.many[1]} round trips`,
      pipeline: 'serve() + lp echo',
      mode: 'lp',
      stacks: ALL,
      baseline: 'raw-net',
      sameCpu: false,
      flow: 'peak',
      metrics: [
        { key: 'ms', label: 'time', unit: 'ms', better: 'lower' },
        { key: 'peakRss', label: 'server peak RSS', unit: 'MiB', better: 'lower' },
      ],
      client: (port) => ({
        kind: 'many',
        port,
        connections: s.many[0],
        roundTrips: s.many[1],
        size: 64,
        batch: 100,
      }),
      timeoutMs: t(60_000),
    },
    {
      id: 'E',
      group: 'E',
      title: `E server RSS per idle connection, ${s.idle} open`,
      pipeline: 'serve() + lp echo, after one round trip each',
      mode: 'lp',
      stacks: ALL,
      baseline: 'raw-net',
      sameCpu: false,
      flow: 'idle',
      metrics: [{ key: 'perConn', label: 'RSS per connection', unit: 'KiB', better: 'lower' }],
      client: (port) => ({ kind: 'idle', port, connections: s.idle, warm: 100, size: 64, batch: 100 }),
      timeoutMs: t(60_000),
    },
    {
      id: 'F',
      group: 'F',
      title: `F slow consumer: the peer sends up to ${s.stallBytes / GiB} GiB, nobody reads`,
      pipeline: 'listen(), connections held, never read',
      mode: 'paused',
      stacks: ['it-socket', 'raw-net'],
      baseline: undefined,
      sameCpu: false,
      flow: 'stall',
      metrics: [
        { key: 'rssGrowth', label: 'server RSS growth', unit: 'MiB', better: 'lower' },
        { key: 'sentBytes', label: 'bytes the peer sent', unit: 'MiB', better: 'lower' },
      ],
      client: (port) => ({ kind: 'stall', port, maxBytes: s.stallBytes, writeSize: 64 * KiB, stallMs: 1000 }),
      timeoutMs: t(60_000) + 30_000,
    },
  ]
}

export const TARGETS: readonly Target[] = [
  {
    caseId: 'A',
    metric: 'mibps',
    kind: 'ratio',
    versus: 'raw-net',
    op: '>=',
    value: 0.95,
    text: '≥ 0.95× raw net',
  },
  {
    caseId: 'B-64',
    metric: 'msgps',
    kind: 'ratio',
    versus: 'it-stack',
    op: '>=',
    value: 10,
    text: '≥ 10× it-* stack',
  },
  {
    caseId: 'B-1k',
    metric: 'msgps',
    kind: 'ratio',
    versus: 'raw-net',
    op: '>=',
    value: 0.5,
    text: '≥ 0.5× raw loop',
  },
  {
    caseId: 'B-64k',
    metric: 'msgps',
    kind: 'ratio',
    versus: 'raw-net',
    op: '>=',
    value: 0.95,
    text: '≥ 0.95× raw loop',
  },
  {
    caseId: "B'-64",
    metric: 'msgps',
    kind: 'ratio',
    versus: 'it-stack',
    op: '>=',
    value: 10,
    text: '≥ 10× it-* stack (it-split)',
  },
  {
    caseId: 'C',
    metric: 'p50',
    kind: 'ratio',
    versus: 'raw-net',
    op: '<=',
    value: 1.2,
    text: 'p50 ≤ 1.2× raw loop',
  },
  {
    caseId: 'D',
    metric: 'ms',
    kind: 'ratio',
    versus: 'raw-net',
    op: '<=',
    value: 1.3,
    text: 'time ≤ 1.3× raw loop',
  },
  {
    caseId: 'D',
    metric: 'peakRss',
    kind: 'ratio',
    versus: 'raw-net',
    op: '<=',
    value: 1.2,
    text: 'peak RSS ≤ 1.2× raw',
  },
  {
    caseId: 'E',
    metric: 'perConn',
    kind: 'ratio',
    versus: 'raw-net',
    op: '<=',
    value: 1.3,
    text: '≤ 1.3× raw net',
  },
  { caseId: 'F', metric: 'rssGrowth', kind: 'absolute', op: '<=', value: 16, text: 'RSS growth ≤ 16 MiB' },
  {
    caseId: 'F',
    metric: 'sentBytes',
    kind: 'absolute',
    op: '<=',
    value: 256,
    text: 'peer stalls (≪ 1 GiB sent)',
  },
]
