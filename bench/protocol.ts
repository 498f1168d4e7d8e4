/**
 * What the orchestrator (run.ts), the server process (server.ts) and the client process (client.ts)
 * say to each other. Every message is one JSON object on one line: the children print theirs on
 * stdout, the orchestrator writes commands to their stdin.
 *
 * @module
 */

/**
 * The stacks compared. `raw-net` is the baseline every plain workload's ratios are computed against;
 * `raw-tls`, the same hand-written server on `node:tls`, that of the TLS workloads. `it-socket-proxy`
 * is the it-socket server with `listen({ proxyProtocol: true })` (D-PROXY, against `it-socket`).
 * `it-socket-lf` and `it-socket-lf-keep` are the it-socket server echoing `u32` frames with
 * `lengthField()` instead of `lengthPrefixed({ lengthEncoding: 'uint32be' })` (B-LF): the plain
 * prefix (`strip: 4`), and the general decoder that keeps the header in each frame (`strip: 0`).
 * `it-socket-observed` is the it-socket server with a subscriber on each of its `diagnostics_channel`
 * channels that reads the message's fields (D-OBS, against `it-socket`).
 */
export type StackName =
  | 'it-socket'
  | 'raw-net'
  | 'it-stack'
  | 'raw-tls'
  | 'it-socket-proxy'
  | 'it-socket-lf'
  | 'it-socket-lf-keep'
  | 'it-socket-observed'

export const STACKS: readonly StackName[] = [
  'it-socket',
  'raw-net',
  'it-stack',
  'raw-tls',
  'it-socket-proxy',
  'it-socket-lf',
  'it-socket-lf-keep',
  'it-socket-observed',
]

/** How the stacks are named in tables and charts. */
export const STACK_LABELS: Record<StackName, string> = {
  'it-socket': 'it-socket',
  'raw-net': 'raw node:net',
  'it-stack': 'stream-to-it + it-pipe + it-length-prefixed (it-split for lines)',
  'raw-tls': 'raw node:tls',
  'it-socket-proxy': 'it-socket, listen({ proxyProtocol: true })',
  'it-socket-lf': 'it-socket, lengthField({ length: 4, strip: 4 })',
  'it-socket-lf-keep': 'it-socket, lengthField({ length: 4 }) (header kept)',
  'it-socket-observed': 'it-socket, every diagnostics channel subscribed',
}

/**
 * Whose code drives the load: the hand-written raw `node:net` client (`raw`, the same for every
 * server), it-socket's public API written as the README writes it (`it-socket`), or the it-* stack's
 * own client (`it-stack`, ping-pong only).
 */
export type ClientName = 'raw' | 'it-socket' | 'it-stack'

const CLIENT_LABELS: Record<ClientName, string> = {
  raw: 'raw node:net',
  'it-socket': 'it-socket',
  'it-stack': 'it-* stack',
}

/** One row of a workload: a server stack driven by a client. */
export interface Row {
  stack: StackName
  client: ClientName
}

/** A row's key in summaries: the stack's name for the raw client, `stack+client` otherwise. */
export function rowKey(row: Row): string {
  return row.client === 'raw' ? row.stack : `${row.stack}+${row.client}`
}

/**
 * How a row is named in tables and charts: a raw-client row by its server stack alone (as before
 * there were other clients), any other as "<server> server + <client> client".
 */
export function rowLabel(row: Row): string {
  if (row.client === 'raw') return STACK_LABELS[row.stack]
  return `${STACK_LABELS[row.stack]} server + ${CLIENT_LABELS[row.client]} client`
}

/**
 * What a server does with each connection: echo bytes (`bytes`), echo length-prefixed frames
 * (`lp`: varint prefix; `u32`: 4-byte big-endian prefix), echo lines (`lines`), or accept and never
 * read (`paused`).
 */
export type ServerMode = 'bytes' | 'lp' | 'u32' | 'lines' | 'paused'

/** The framings a frames client speaks: varint (`lp`) or 4-byte big-endian (`u32`) prefixes, or lines. */
export type FramesCodec = 'lp' | 'u32' | 'lines'

/** The first line a server prints, once listening. */
export interface ServerReady {
  port: number
  pid: number
}

/** A server's answer to the `mem` command (after two forced GCs when `--expose-gc` is on). */
export interface MemorySample {
  rss: number
  /** Peak RSS of the process so far, in bytes (`process.resourceUsage().maxRSS`). */
  maxRss: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

/**
 * The server's answer to the `io` command: its own syscall counts, null where they cannot be read,
 * and the CPU time it has used so far.
 */
export interface ServerSyscalls {
  io: SyscallCount | null
  /** User and system CPU time of the process so far, in milliseconds (`process.cpuUsage()`). */
  cpuMs: number
}

/**
 * Read-type and write-type syscalls a process made (`syscr` and `syscw` of `/proc/self/io`: `read`,
 * `readv`, `write`, `writev` and their kin, on sockets, pipes and files alike).
 */
export interface SyscallCount {
  reads: number
  writes: number
}

/**
 * What the client process is asked to do: one JSON argument. `client` says whose client code runs
 * (see `ClientName`; the raw client is the only one for `idle` and `stall`). `tls` makes it speak TLS
 * to a TLS server (bulk, frames and handshakes), trusting the test CA of `tls-fixtures.ts`.
 * `proxyHeader` (raw client, plain TCP) makes every connection send a PROXY v2 header first, as a
 * load balancer would, for a server with `proxyProtocol` (the `it-socket-proxy` stack).
 */
export type ClientSpec = { client: ClientName; tls?: boolean; proxyHeader?: boolean } & (
  | { kind: 'bulk'; port: number; totalBytes: number; writeSize: number; window: number }
  | {
      kind: 'frames'
      port: number
      codec: FramesCodec
      size: number
      count: number
      window: number
    }
  | { kind: 'pingpong'; port: number; size: number; count: number; warmup: number }
  | { kind: 'many'; port: number; connections: number; roundTrips: number; size: number; batch: number }
  | { kind: 'handshakes'; port: number; connections: number; concurrency: number; size: number }
  | { kind: 'idle'; port: number; connections: number; warm: number; size: number; batch: number }
  | { kind: 'stall'; port: number; maxBytes: number; writeSize: number; stallMs: number }
)

/**
 * A client's last line: the measured values by metric key, plus details that explain them. A failed
 * check (wrong echo) makes the client exit non-zero with the reason on stderr instead.
 */
export interface ClientResult {
  values: Record<string, number>
  details?: Record<string, unknown>
  /**
   * The client's own syscalls from just before it connected to the end of the exchange (bulk,
   * frames, ping-pong, many, handshakes); null where `/proc/self/io` cannot be read.
   */
  syscalls?: SyscallCount | null
}

/** A line a client prints mid-run, then waits for `continue` on stdin (idle and stall workloads). */
export interface ClientEvent {
  event: string
  data?: Record<string, number | boolean>
}
