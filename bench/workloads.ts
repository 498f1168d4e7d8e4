/**
 * The workloads (the table, A to F, the TLS ones: TLS-A, TLS-B, TLS-H, and D-PROXY, D behind
 * the PROXY protocol), their sizes in full and quick mode, the rows each runs (a server stack and the
 * client that drives it), the metrics each reports, and the targets it-socket is held to: as a server
 * under the raw client, and with both ends it-socket.
 *
 * @module
 */

import type { ClientSpec, FramesCodec, Row, ServerMode } from './protocol.js'

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
  /** The workload letter (`TLS-A`, `TLS-B`, `TLS-H` for TLS); `--only` selects by it. */
  group: string
  title: string
  /** What the it-socket server runs, for the docs. */
  pipeline: string
  mode: ServerMode
  /**
   * Over TLS: every server serves it with the test certificate and every client trusts the test CA
   * (`tls-fixtures.ts`); the baseline is then raw `node:tls` (`RAW_TLS`).
   */
  tls: boolean
  /** The rows run, each a server stack and a client; interleaved run by run. */
  rows: readonly Row[]
  /** Ratios are to this row's value in the same run; none for absolute workloads (F). */
  baseline: Row | undefined
  /** Client and server on the same CPU (C), instead of one each. */
  sameCpu: boolean
  flow: Flow
  metrics: readonly Metric[]
  client: (port: number, row: Row) => ClientSpec
  /**
   * What the syscall counts are divided by (messages, round trips, MiB echoed or connections, all of
   * the exchange); none where the client shape does not matter (E, F), and nothing is counted.
   */
  syscalls: { unit: SyscallUnit; units: number } | undefined
  /** Per (row, run): beyond it both processes are killed and the run counts as failed. */
  timeoutMs: number
  /** An in-memory micro-benchmark reported beside the case's rows (D-PROXY: header parsing). */
  micro?: MicroBench
}

/**
 * A micro-benchmark run beside a case, once per run after its rows: a process (`dist/bench/<script>
 * <args>`, on the server's CPU, no sockets) that prints `{"result":{"values":{…}}}`, one value per
 * label. The values are reported (median, min–max over runs) in a section of their own, with no target.
 */
export interface MicroBench {
  script: string
  args: readonly string[]
  /** The section's title in the report. */
  title: string
  /** What each label names (the report's first column), e.g. `header`. */
  item: string
  /** What each value is, e.g. `µs per header`. */
  unit: string
  /** What is measured and how, for the report (Markdown). */
  about: string
  /**
   * Its end-to-end counterpart from the case's own runs: per run, (`row`'s `metric` − the baseline's)
   * × `scale` ÷ `per`, e.g. the time a PROXY header adds per connection in µs.
   */
  difference?: { row: Row; metric: string; scale: number; per: number; unit: string; label: string }
}

/** What syscall counts are per: a message (or round trip), a MiB echoed, a connection (TLS-H). */
export type SyscallUnit = 'message' | 'MiB' | 'connection'

export interface Target {
  caseId: string
  /** A metric key, or a syscall key (`clientWrites`, ...: see `report.ts`). */
  metric: string
  /** The row held to it: it-socket's server under the raw client, or both ends it-socket. */
  row: Row
  /**
   * `ratio`: `row` / `versus` per run, median; `absolute`: `row`'s median; `micro`: the median of
   * the case's micro-benchmark value whose label is `metric` (`row` unused).
   */
  kind: 'ratio' | 'absolute' | 'micro'
  versus?: Row
  op: '>=' | '<='
  value: number
  text: string
}

/** it-socket's server under the hand-written raw client: the rows the first targets were set on. */
export const SERVER: Row = { stack: 'it-socket', client: 'raw' }
/** Both ends it-socket: its server, and a client written as the README writes it. */
export const BOTH: Row = { stack: 'it-socket', client: 'it-socket' }
/** The baseline: the raw `node:net` server under the raw client. */
export const RAW: Row = { stack: 'raw-net', client: 'raw' }
/** The it-* stack's server under the raw client. */
export const IT_STACK: Row = { stack: 'it-stack', client: 'raw' }
/** The TLS workloads' baseline: the raw `node:tls` server under the raw client on `node:tls`. */
export const RAW_TLS: Row = { stack: 'raw-tls', client: 'raw' }
/**
 * it-socket's server with `listen({ proxyProtocol: true })` under the raw client, each of whose
 * connections sends a PROXY v2 header first (D-PROXY; its baseline is `SERVER`, without the header).
 */
export const PROXIED: Row = { stack: 'it-socket-proxy', client: 'raw' }
/**
 * B-LF: it-socket's server echoing 4-byte big-endian prefixed frames with `lengthField({ length: 4,
 * strip: 4 })` under the raw client (its baseline, `SERVER`, echoes them with `lengthPrefixed({
 * lengthEncoding: 'uint32be' })`); with the general decoder, whose frames keep their header
 * (`LF_KEEP`); and both ends `lengthField()` (`LF_BOTH`).
 */
export const LF: Row = { stack: 'it-socket-lf', client: 'raw' }
/** D-OBS: it-socket's server with a subscriber on every diagnostics channel, under the raw client. */
export const OBSERVED: Row = { stack: 'it-socket-observed', client: 'raw' }
export const LF_KEEP: Row = { stack: 'it-socket-lf-keep', client: 'raw' }
export const LF_BOTH: Row = { stack: 'it-socket-lf', client: 'it-socket' }

/** Every server under the raw client: the client shape does not matter (E) or has no it-socket version. */
const SERVERS: readonly Row[] = [SERVER, RAW, IT_STACK]
/** Every server under the raw client, and both ends it-socket. */
const BOTH_ENDS: readonly Row[] = [SERVER, RAW, IT_STACK, BOTH]
/** The TLS workloads' rows: it-socket's server under the raw TLS client, raw `node:tls`, both ends it-socket. */
const TLS_ROWS: readonly Row[] = [SERVER, RAW_TLS, BOTH]
/** What every TLS workload shares: its rows against raw `node:tls`, client and server on separate CPUs. */
const TLS_WORKLOAD = {
  tls: true,
  rows: TLS_ROWS,
  baseline: RAW_TLS,
  sameCpu: false,
  flow: 'plain',
} as const
const msgps: Metric = { key: 'msgps', label: 'messages/s', unit: 'msg/s', better: 'higher' }

/** Sizes for one mode (full or quick). */
interface Sizes {
  bulkBytes: number
  frames: Record<'64' | '1k' | '64k' | 'lines', number>
  pingpong: number
  many: [connections: number, roundTrips: number]
  idle: number
  stallBytes: number
  /** TLS-H: connections in all, and how many at a time. */
  handshakes: [connections: number, concurrency: number]
  /** D-PROXY's in-memory parse benchmark: iterations per header, and warm-up iterations before. */
  parses: [iterations: number, warmup: number]
  /** B-LF's in-memory RESP decode benchmark: replies per shape, and warm-up replies before. */
  replies: [replies: number, warmup: number]
  timeoutScale: number
}

const FULL: Sizes = {
  bulkBytes: 256 * MiB,
  frames: { '64': 600_000, '1k': 200_000, '64k': 8_000, lines: 400_000 },
  pingpong: 20_000,
  many: [1000, 50],
  idle: 2000,
  stallBytes: GiB,
  handshakes: [2000, 16],
  parses: [200_000, 20_000],
  replies: [1_000_000, 100_000],
  timeoutScale: 1,
}

const QUICK: Sizes = {
  bulkBytes: 32 * MiB,
  frames: { '64': 60_000, '1k': 20_000, '64k': 1_000, lines: 40_000 },
  pingpong: 3_000,
  many: [200, 20],
  idle: 500,
  stallBytes: GiB,
  handshakes: [400, 16],
  parses: [20_000, 5_000],
  replies: [200_000, 50_000],
  timeoutScale: 0.5,
}

const WINDOW = 2 * MiB

/** A pipelining frames client (B, B', B-LF, TLS-B): `count` frames of `size` bytes in `codec`. */
function framesClient(
  codec: FramesCodec,
  size: number,
  count: number,
  tls = false,
): (port: number, row: Row) => ClientSpec {
  return (port, row) => ({
    kind: 'frames',
    client: row.client,
    ...(tls ? { tls } : {}),
    port,
    codec,
    size,
    count,
    window: WINDOW,
  })
}

export function cases(quick: boolean): Case[] {
  const s = quick ? QUICK : FULL
  const t = (ms: number): number => Math.round(ms * s.timeoutScale)
  const framed = (id: string, size: number, count: number, label: string): Case => ({
    id,
    group: 'B',
    title: `B framed echo, ${label}, pipelined`,
    pipeline: 'pipe(conn, lp.decode, lp.encode, conn)',
    mode: 'lp',
    tls: false,
    rows: BOTH_ENDS,
    baseline: RAW,
    sameCpu: false,
    flow: 'plain',
    metrics: [msgps],
    client: framesClient('lp', size, count),
    syscalls: { unit: 'message', units: count },
    timeoutMs: t(120_000),
  })
  /** D's time and the server's peak RSS; D's client, with a PROXY header first for `PROXIED`. */
  const manyMetrics: readonly Metric[] = [
    { key: 'ms', label: 'time', unit: 'ms', better: 'lower' },
    { key: 'peakRss', label: 'server peak RSS', unit: 'MiB', better: 'lower' },
  ]
  const manyClient = (port: number, row: Row): ClientSpec => ({
    kind: 'many',
    client: row.client,
    ...(row.stack === PROXIED.stack ? { proxyHeader: true } : {}),
    port,
    connections: s.many[0],
    roundTrips: s.many[1],
    size: 64,
    batch: 100,
  })
  /**
   * D against it-socket's own server (D-PROXY, D-OBS): D's client, metrics and server CPU time, which
   * on a shared VM is steadier than the wall-clock time.
   */
  const againstServer = {
    mode: 'lp',
    tls: false,
    baseline: SERVER,
    sameCpu: false,
    flow: 'peak',
    metrics: [...manyMetrics, { key: 'serverCpu', label: 'server CPU', unit: 'ms', better: 'lower' }],
    client: manyClient,
    syscalls: { unit: 'message', units: s.many[0] * s.many[1] },
    timeoutMs: t(60_000),
  } as const satisfies Partial<Case>
  return [
    {
      id: 'A',
      group: 'A',
      title: `A bulk echo, ${s.bulkBytes / MiB} MiB in 64 KiB writes`,
      pipeline: 'pipe(conn, conn)',
      mode: 'bytes',
      tls: false,
      rows: BOTH_ENDS,
      baseline: RAW,
      sameCpu: false,
      flow: 'plain',
      metrics: [{ key: 'mibps', label: 'throughput', unit: 'MiB/s', better: 'higher' }],
      client: (port, row) => ({
        kind: 'bulk',
        client: row.client,
        port,
        totalBytes: s.bulkBytes,
        writeSize: 64 * KiB,
        window: 4 * MiB,
      }),
      syscalls: { unit: 'MiB', units: s.bulkBytes / MiB },
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
      tls: false,
      rows: BOTH_ENDS,
      baseline: RAW,
      sameCpu: false,
      flow: 'plain',
      metrics: [msgps],
      client: framesClient('lines', 64, s.frames.lines),
      syscalls: { unit: 'message', units: s.frames.lines },
      timeoutMs: t(120_000),
    },
    {
      id: 'C',
      group: 'C',
      title: 'C ping-pong, one 64 B frame at a time, same CPU',
      pipeline: 'framed(conn, lengthPrefixed()).request(msg) against the lp echo',
      mode: 'lp',
      tls: false,
      // Each stack with its own client: it-socket's row was always both ends it-socket.
      rows: [BOTH, RAW, { stack: 'it-stack', client: 'it-stack' }],
      baseline: RAW,
      sameCpu: true,
      flow: 'plain',
      metrics: [
        { key: 'p50', label: 'p50 round trip', unit: 'µs', better: 'lower' },
        { key: 'p99', label: 'p99 round trip', unit: 'µs', better: 'lower' },
      ],
      client: (port, row) => ({
        kind: 'pingpong',
        client: row.client,
        port,
        size: 64,
        count: s.pingpong,
        warmup: Math.ceil(s.pingpong / 10),
      }),
      syscalls: { unit: 'message', units: s.pingpong + Math.ceil(s.pingpong / 10) },
      timeoutMs: t(60_000),
    },
    {
      id: 'D',
      group: 'D',
      title: `D ${s.many[0]} concurrent connections × ${s.many[1]} round trips`,
      pipeline: 'serve() + lp echo',
      mode: 'lp',
      tls: false,
      rows: BOTH_ENDS,
      baseline: RAW,
      sameCpu: false,
      flow: 'peak',
      metrics: manyMetrics,
      client: manyClient,
      syscalls: { unit: 'message', units: s.many[0] * s.many[1] },
      timeoutMs: t(60_000),
    },
    {
      id: 'D-PROXY',
      group: 'D-PROXY',
      title: `D-PROXY: D with listen({ proxyProtocol: true }), ${s.many[0]} connections × ${s.many[1]} round trips, each with a PROXY v2 header first`,
      pipeline: 'listen({ proxyProtocol: true }) + serve() + lp echo',
      ...againstServer,
      // The it-socket server without and with the PROXY protocol, and raw node:net for context.
      rows: [SERVER, PROXIED, RAW],
      micro: {
        script: 'proxy-parse.js',
        args: s.parses.map(String),
        title: 'PROXY header parsing, in memory',
        item: 'header',
        unit: 'µs per header',
        about: `What the server's parsing costs per connection, without sockets (\`bench/proxy-parse.ts\`, on the server's CPU, once per run): \`new ProxyHeaderParser([1, 2]).parse(header)\` on a whole header in one \`Buffer\`, as \`listen({ proxyProtocol: true })\` calls it on a connection's first chunk, ${s.parses[0].toLocaleString('en-US')} times per header after ${s.parses[1].toLocaleString('en-US')} of warm-up, the last 1,024 parsers and results kept alive as a server keeps them (allocation and GC included). Steady state: on a real connection the same code runs colder. Median and min–max over runs.`,
        difference: {
          row: PROXIED,
          metric: 'serverCpu',
          scale: 1000,
          per: s.many[0],
          unit: 'µs per connection',
          label: `End to end, the server's side in D-PROXY: (server CPU with proxyProtocol − without) ÷ ${s.many[0].toLocaleString('en-US')} connections, per run (the trust check, the header's read and parse, its timer and listeners, pausing and handing the connection on)`,
        },
      },
    },
    {
      id: 'D-OBS',
      group: 'D-OBS',
      title: `D-OBS: D with a subscriber on every diagnostics channel, ${s.many[0]} connections × ${s.many[1]} round trips`,
      pipeline: 'serve() + lp echo; subscribe() on each of CHANNELS',
      ...againstServer,
      // The it-socket server without and with subscribers: what an APM agent's hooks cost.
      rows: [SERVER, OBSERVED],
    },
    {
      id: 'B-LF-64',
      group: 'B-LF',
      title: 'B-LF framed echo with lengthField(), 64 B in 4-byte big-endian frames, pipelined',
      pipeline: 'pipe(conn, lf.decode, lf.encode, conn), lf = lengthField({ length: 4, strip: 4 })',
      mode: 'u32',
      tls: false,
      rows: [SERVER, LF, LF_KEEP, LF_BOTH],
      baseline: SERVER,
      sameCpu: false,
      flow: 'plain',
      metrics: [msgps],
      client: framesClient('u32', 64, s.frames['64']),
      syscalls: { unit: 'message', units: s.frames['64'] },
      timeoutMs: t(120_000),
      micro: {
        script: 'resp-decode.js',
        args: s.replies.map(String),
        title: 'RESP decode, in memory',
        item: 'reply',
        unit: 'M replies/s',
        about: `How many small Redis replies \`resp().decode\` yields per second on one core, without sockets (\`bench/resp-decode.ts\`, on the server's CPU, once per run): ${s.replies[0].toLocaleString('en-US')} copies of each reply, encoded by the codec and checked to decode back to themselves, cut into 64 KiB chunks wherever 64 KiB falls, consumed as a user does with \`for await (const reply of resp().decode(chunks))\`, after ${s.replies[1].toLocaleString('en-US')} of warm-up. Median and min–max over runs.`,
      },
    },
    {
      id: 'E',
      group: 'E',
      title: `E server RSS per idle connection, ${s.idle} open`,
      pipeline: 'serve() + lp echo, after one round trip each',
      mode: 'lp',
      tls: false,
      rows: SERVERS,
      baseline: RAW,
      sameCpu: false,
      flow: 'idle',
      metrics: [{ key: 'perConn', label: 'RSS per connection', unit: 'KiB', better: 'lower' }],
      client: (port) => ({
        kind: 'idle',
        client: 'raw',
        port,
        connections: s.idle,
        warm: 100,
        size: 64,
        batch: 100,
      }),
      syscalls: undefined,
      timeoutMs: t(60_000),
    },
    {
      id: 'F',
      group: 'F',
      title: `F slow consumer: the peer sends up to ${s.stallBytes / GiB} GiB, nobody reads`,
      pipeline: 'listen(), connections held, never read',
      mode: 'paused',
      tls: false,
      rows: [SERVER, RAW],
      baseline: undefined,
      sameCpu: false,
      flow: 'stall',
      metrics: [
        { key: 'rssGrowth', label: 'server RSS growth', unit: 'MiB', better: 'lower' },
        { key: 'sentBytes', label: 'bytes the peer sent', unit: 'MiB', better: 'lower' },
      ],
      client: (port) => ({
        kind: 'stall',
        client: 'raw',
        port,
        maxBytes: s.stallBytes,
        writeSize: 64 * KiB,
        stallMs: 1000,
      }),
      syscalls: undefined,
      timeoutMs: t(60_000) + 30_000,
    },
    {
      id: 'TLS-A',
      group: 'TLS-A',
      title: `TLS-A bulk echo over TLS, ${s.bulkBytes / MiB} MiB in 64 KiB writes`,
      pipeline: 'listen({ tls }) + pipe(conn, conn)',
      mode: 'bytes',
      ...TLS_WORKLOAD,
      metrics: [{ key: 'mibps', label: 'throughput', unit: 'MiB/s', better: 'higher' }],
      client: (port, row) => ({
        kind: 'bulk',
        client: row.client,
        tls: true,
        port,
        totalBytes: s.bulkBytes,
        writeSize: 64 * KiB,
        window: 4 * MiB,
      }),
      syscalls: { unit: 'MiB', units: s.bulkBytes / MiB },
      timeoutMs: t(90_000),
    },
    {
      id: 'TLS-B-64',
      group: 'TLS-B',
      title: 'TLS-B framed echo over TLS, 64 B, pipelined',
      pipeline: 'listen({ tls }) + pipe(conn, lp.decode, lp.encode, conn)',
      mode: 'lp',
      ...TLS_WORKLOAD,
      metrics: [msgps],
      client: framesClient('lp', 64, s.frames['64'], true),
      syscalls: { unit: 'message', units: s.frames['64'] },
      timeoutMs: t(120_000),
    },
    {
      id: 'TLS-H',
      group: 'TLS-H',
      title: `TLS-H handshakes: ${s.handshakes[0]} connections, ${s.handshakes[1]} at a time, one 64 B round trip each`,
      pipeline: 'listen({ tls }) + serve() + lp echo',
      mode: 'lp',
      ...TLS_WORKLOAD,
      metrics: [{ key: 'hsps', label: 'handshakes', unit: 'conn/s', better: 'higher' }],
      client: (port, row) => ({
        kind: 'handshakes',
        client: row.client,
        tls: true,
        port,
        connections: s.handshakes[0],
        concurrency: s.handshakes[1],
        size: 64,
      }),
      syscalls: { unit: 'connection', units: s.handshakes[0] },
      timeoutMs: t(60_000),
    },
  ]
}

/** A target on `row`'s median ratio to `versus` in the same run. */
function ratio(
  caseId: string,
  row: Row,
  metric: string,
  versus: Row,
  op: Target['op'],
  value: number,
  text: string,
): Target {
  return { caseId, row, metric, kind: 'ratio', versus, op, value, text }
}

/** A target on the median of a case's micro-benchmark value labelled `label`. */
function micro(caseId: string, label: string, op: Target['op'], value: number, text: string): Target {
  return { caseId, row: SERVER, metric: label, kind: 'micro', op, value, text }
}

/** A target on `row`'s own median. */
function absolute(
  caseId: string,
  row: Row,
  metric: string,
  op: Target['op'],
  value: number,
  text: string,
): Target {
  return { caseId, row, metric, kind: 'absolute', op, value, text }
}

/**
 * The targets. The `SERVER` rows' were set first (it-socket's server against the raw client); the
 * `BOTH` rows' are issue 12's, for a user who writes the client with it-socket too. C's row was
 * always both ends it-socket (each stack runs its own ping-pong client), so both of its targets hold
 * that row. The TLS workloads' (issue 13) are ratios to raw `node:tls` in the same run; D-PROXY's
 * (issue 14) is to it-socket's own server without `proxyProtocol`.
 */
export const TARGETS: readonly Target[] = [
  ratio('A', SERVER, 'mibps', RAW, '>=', 0.95, '≥ 0.95× raw net'),
  ratio('A', BOTH, 'mibps', RAW, '>=', 0.95, '≥ 0.95× raw net'),
  ratio('B-64', SERVER, 'msgps', IT_STACK, '>=', 10, '≥ 10× it-* stack'),
  ratio('B-64', BOTH, 'msgps', RAW, '>=', 0.3, '≥ 0.3× raw loop'),
  ratio('B-64', BOTH, 'msgps', IT_STACK, '>=', 10, '≥ 10× it-* stack'),
  absolute('B-64', BOTH, 'clientWrites', '<=', 0.05, 'sending side ≤ 0.05 writes per message'),
  ratio('B-1k', SERVER, 'msgps', RAW, '>=', 0.5, '≥ 0.5× raw loop'),
  ratio('B-1k', BOTH, 'msgps', RAW, '>=', 0.6, '≥ 0.6× raw loop'),
  ratio('B-64k', SERVER, 'msgps', RAW, '>=', 0.95, '≥ 0.95× raw loop'),
  ratio('B-64k', BOTH, 'msgps', RAW, '>=', 0.95, '≥ 0.95× raw loop'),
  ratio("B'-64", SERVER, 'msgps', IT_STACK, '>=', 10, '≥ 10× it-* stack (it-split)'),
  ratio('C', BOTH, 'p50', RAW, '<=', 1.2, 'p50 ≤ 1.2× raw loop'),
  ratio('C', BOTH, 'p50', RAW, '<=', 1.15, 'p50 ≤ 1.15× raw loop'),
  ratio('D', SERVER, 'ms', RAW, '<=', 1.3, 'time ≤ 1.3× raw loop'),
  ratio('D', SERVER, 'peakRss', RAW, '<=', 1.2, 'peak RSS ≤ 1.2× raw'),
  ratio('D', BOTH, 'ms', RAW, '<=', 1.3, 'time ≤ 1.3× raw loop'),
  ratio('D', BOTH, 'peakRss', RAW, '<=', 1.2, 'server peak RSS ≤ 1.2× raw'),
  ratio('D-PROXY', PROXIED, 'ms', SERVER, '<=', 1.05, 'time ≤ 1.05× without PROXY'),
  ratio('B-LF-64', LF, 'msgps', SERVER, '>=', 0.95, '≥ 0.95× lengthPrefixed uint32be'),
  micro('B-LF-64', '+OK (5 B)', '>=', 1, 'RESP decode ≥ 1 M replies/s'),
  micro('B-LF-64', '*3 array of bulks (36 B)', '>=', 1, 'RESP decode ≥ 1 M replies/s'),
  ratio('E', SERVER, 'perConn', RAW, '<=', 1.3, '≤ 1.3× raw net'),
  absolute('F', SERVER, 'rssGrowth', '<=', 16, 'RSS growth ≤ 16 MiB'),
  absolute('F', SERVER, 'sentBytes', '<=', 256, 'peer stalls (≪ 1 GiB sent)'),
  ratio('TLS-A', SERVER, 'mibps', RAW_TLS, '>=', 0.95, '≥ 0.95× raw tls'),
  ratio('TLS-A', BOTH, 'mibps', RAW_TLS, '>=', 0.95, '≥ 0.95× raw tls'),
  ratio('TLS-B-64', BOTH, 'msgps', RAW_TLS, '>=', 0.5, '≥ 0.5× raw tls loop'),
  ratio('TLS-H', BOTH, 'hsps', RAW_TLS, '>=', 0.9, '≥ 0.9× raw tls'),
]
