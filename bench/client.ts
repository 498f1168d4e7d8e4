/**
 * One benchmark client process: `node dist/bench/client.js '<ClientSpec as JSON>'`.
 *
 * Prints event lines (`{"event":…}`) where the orchestrator must act, waiting for a line on stdin
 * after each, and finally `{"result":{…}}`. A failed echo check exits non-zero with the reason.
 *
 * @module
 */

import { createInterface } from 'node:readline'
import { payloadByte } from './frames.js'
import { itSocketPingPong } from './it-socket-stack.js'
import { itStackPingPong } from './it-stack.js'
import { bulk, frames, idle, many, type Rendezvous, stall } from './load.js'
import type { ClientResult, ClientSpec } from './protocol.js'
import { rawPingPong } from './raw-net.js'
import { percentile } from './stats.js'

function emit(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

/** Prints the event, then waits for the next line on stdin. */
function stdinRendezvous(): Rendezvous {
  const input = createInterface({ input: process.stdin })
  const waiting: Array<() => void> = []
  input.on('line', () => waiting.shift()?.())
  input.on('close', () => process.exit(2))
  return (event) =>
    new Promise<void>((resolve) => {
      waiting.push(resolve)
      emit(event)
    })
}

/** C: ping-pong with the stack's own client code; latencies in microseconds. */
async function pingpong(spec: Extract<ClientSpec, { kind: 'pingpong' }>): Promise<ClientResult> {
  const payload = new Uint8Array(spec.size)
  for (let j = 0; j < spec.size; j++) payload[j] = payloadByte(0, j)
  const total = spec.warmup + spec.count
  const run =
    spec.stack === 'it-socket' ? itSocketPingPong : spec.stack === 'raw-net' ? rawPingPong : itStackPingPong
  const times = Array.from((await run(spec.port, payload, total)).subarray(spec.warmup), (ns) => ns / 1000)
  times.sort((a, b) => a - b)
  return {
    values: { p50: percentile(times, 0.5), p99: percentile(times, 0.99) },
    details: { roundTrips: spec.count, mean: times.reduce((a, b) => a + b, 0) / times.length },
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ClientSpec
  let result: ClientResult
  switch (spec.kind) {
    case 'bulk':
      result = await bulk(spec)
      break
    case 'frames':
      result = await frames(spec)
      break
    case 'pingpong':
      result = await pingpong(spec)
      break
    case 'many':
      result = await many(spec)
      break
    case 'idle':
      result = await idle(spec, stdinRendezvous())
      break
    case 'stall':
      result = await stall(spec, stdinRendezvous())
      break
  }
  emit({ result })
  process.exit(0)
}

main().catch((err: unknown) => {
  process.stderr.write(`client: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
