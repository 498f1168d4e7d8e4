/**
 * What the orchestrator (run.ts), the server process (server.ts) and the client process (client.ts)
 * say to each other. Every message is one JSON object on one line: the children print theirs on
 * stdout, the orchestrator writes commands to their stdin.
 *
 * @module
 */

/** The three stacks compared. `raw-net` is the baseline every ratio is computed against. */
export type StackName = 'it-socket' | 'raw-net' | 'it-stack'

export const STACKS: readonly StackName[] = ['it-socket', 'raw-net', 'it-stack']

/** How the stacks are named in tables and charts. */
export const STACK_LABELS: Record<StackName, string> = {
  'it-socket': 'it-socket',
  'raw-net': 'raw node:net',
  'it-stack': 'stream-to-it + it-pipe + it-length-prefixed (it-split for lines)',
}

/**
 * What a server does with each connection: echo bytes (`bytes`), echo length-prefixed frames
 * (`lp`), echo lines (`lines`), or accept and never read (`paused`).
 */
export type ServerMode = 'bytes' | 'lp' | 'lines' | 'paused'

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

/** What the client process is asked to do: one JSON argument. */
export type ClientSpec =
  | { kind: 'bulk'; port: number; totalBytes: number; writeSize: number; window: number }
  | {
      kind: 'frames'
      port: number
      codec: 'lp' | 'lines'
      size: number
      count: number
      window: number
    }
  | { kind: 'pingpong'; port: number; stack: StackName; size: number; count: number; warmup: number }
  | { kind: 'many'; port: number; connections: number; roundTrips: number; size: number; batch: number }
  | { kind: 'idle'; port: number; connections: number; warm: number; size: number; batch: number }
  | { kind: 'stall'; port: number; maxBytes: number; writeSize: number; stallMs: number }

/**
 * A client's last line: the measured values by metric key, plus details that explain them. A failed
 * check (wrong echo) makes the client exit non-zero with the reason on stderr instead.
 */
export interface ClientResult {
  values: Record<string, number>
  details?: Record<string, unknown>
}

/** A line a client prints mid-run, then waits for `continue` on stdin (idle and stall workloads). */
export interface ClientEvent {
  event: string
  data?: Record<string, number | boolean>
}
