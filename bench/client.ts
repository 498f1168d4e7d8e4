/**
 * One benchmark client process: `node dist/bench/client.js '<ClientSpec as JSON>'`.
 *
 * Runs the spec's client code (`spec.client`: the raw `node:net` client of `load.ts`, or it-socket's
 * of `it-socket-client.ts`, or the it-* stack's ping-pong; over TLS where `spec.tls` says so; the raw
 * client's connections start with a PROXY v2 header where `spec.proxyHeader` says so). Prints
 * event lines (`{"event":…}`) where the orchestrator must act, waiting for a line on stdin after each,
 * and finally `{"result":{…}}`, with the process's own read and write syscalls over the exchange
 * where the workload measures a client shape. A failed echo check exits non-zero with the reason.
 *
 * @module
 */

import { payloadByte } from './frames.js'
import {
  itSocketBulk,
  itSocketFrames,
  itSocketHandshakes,
  itSocketMany,
  itSocketPingPong,
} from './it-socket-client.js'
import { itStackPingPong } from './it-stack.js'
import { bulk, frames, handshakes, idle, many, stall } from './load.js'
import type { ClientEvent, ClientName, ClientResult, ClientSpec } from './protocol.js'
import { rawPingPong } from './raw-net.js'
import { percentile } from './stats.js'
import { emit, stdinRendezvous } from './stdin-rendezvous.js'
import { syscalls, syscallsSince } from './syscalls.js'

/** The workloads whose clients can speak TLS (`spec.tls`; `handshakes` always does). */
const TLS_KINDS: ReadonlySet<ClientSpec['kind']> = new Set(['bulk', 'frames', 'handshakes'])

/** The client code each workload has; the raw client runs every workload. */
const CLIENTS: Record<ClientSpec['kind'], readonly ClientName[]> = {
  bulk: ['raw', 'it-socket'],
  frames: ['raw', 'it-socket'],
  pingpong: ['raw', 'it-socket', 'it-stack'],
  many: ['raw', 'it-socket'],
  handshakes: ['raw', 'it-socket'],
  idle: ['raw'],
  stall: ['raw'],
}

/** C: ping-pong with the stack's own client code; latencies in microseconds. */
async function pingpong(spec: Extract<ClientSpec, { kind: 'pingpong' }>): Promise<ClientResult> {
  const payload = new Uint8Array(spec.size)
  for (let j = 0; j < spec.size; j++) payload[j] = payloadByte(0, j)
  const total = spec.warmup + spec.count
  const run =
    spec.client === 'it-socket' ? itSocketPingPong : spec.client === 'raw' ? rawPingPong : itStackPingPong
  const times = Array.from((await run(spec.port, payload, total)).subarray(spec.warmup), (ns) => ns / 1000)
  times.sort((a, b) => a - b)
  return {
    values: { p50: percentile(times, 0.5), p99: percentile(times, 0.99) },
    details: { roundTrips: spec.count, mean: times.reduce((a, b) => a + b, 0) / times.length },
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ClientSpec
  if (!CLIENTS[spec.kind].includes(spec.client)) {
    throw new Error(`no ${spec.client} client for the ${spec.kind} workload`)
  }
  if (spec.tls === true && !TLS_KINDS.has(spec.kind)) {
    throw new Error(`no TLS client for the ${spec.kind} workload`)
  }
  const plainRaw = spec.client === 'raw' && spec.tls !== true
  if (spec.proxyHeader === true && (!plainRaw || spec.kind === 'pingpong' || spec.kind === 'handshakes')) {
    throw new Error(`no client sending a PROXY header (proxyHeader) for this ${spec.kind} workload`)
  }
  const it = spec.client === 'it-socket'
  // From just before connecting to the end of the exchange: connect and close add a handful of each.
  const before = syscalls()
  let result: ClientResult
  switch (spec.kind) {
    case 'bulk':
      result = await (it ? itSocketBulk(spec) : bulk(spec))
      break
    case 'frames':
      result = await (it ? itSocketFrames(spec) : frames(spec))
      break
    case 'pingpong':
      result = await pingpong(spec)
      break
    case 'many':
      result = await (it ? itSocketMany(spec) : many(spec))
      break
    case 'handshakes':
      result = await (it ? itSocketHandshakes(spec) : handshakes(spec))
      break
    case 'idle':
      result = await idle(spec, stdinRendezvous<ClientEvent>())
      break
    case 'stall':
      result = await stall(spec, stdinRendezvous<ClientEvent>())
      break
  }
  if (spec.kind !== 'idle' && spec.kind !== 'stall') result.syscalls = syscallsSince(before, syscalls())
  emit({ result })
  process.exit(0)
}

main().catch((err: unknown) => {
  process.stderr.write(`client: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
