import { createHash } from 'node:crypto'
import { connect as netConnect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { pseudoRandomBytes } from '../helpers/bytes.js'
import { until } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'
import { anyEvent, MiB, report, type ServerChild, startServer } from './helpers.js'

// SOAK=1 runs the heavier variants (more clients, more cycles) for a soak run.
const soak = process.env.SOAK === '1'
const CLIENTS = soak ? 5_000 : 2_000
const CYCLES = soak ? 50_000 : 10_000

let server: ServerChild | undefined
afterEach(() => {
  server?.kill()
  server = undefined
})

/** One raw client: sends `payload`, half-closes, and returns the SHA-256 of what came back. */
async function echoClient(port: number, payload: Uint8Array): Promise<string> {
  const socket = netConnect({ port, host: '127.0.0.1', allowHalfOpen: true })
  const hash = createHash('sha256')
  socket.on('data', (chunk: Buffer) => hash.update(chunk))
  let failure: unknown
  socket.on('error', (err) => {
    failure = err
  })
  const ended = anyEvent(socket, 'end', 'close', 'error')
  socket.end(payload)
  const how = await ended
  socket.destroy()
  if (how !== 'end') throw new Error(`connection ${how} before the echo ended: ${String(failure)}`)
  return hash.digest('hex')
}

describe('load', () => {
  it(`${CLIENTS} concurrent clients against maxConnections 256: all served, every byte verified by hash`, async () => {
    server = await startServer({ codec: 'raw', maxConnections: 256 })
    const payloads = Array.from({ length: CLIENTS }, (_, i) => pseudoRandomBytes(4096 + (i % 64) * 64, i + 1))
    const expected = payloads.map((p) => createHash('sha256').update(p).digest('hex'))
    const port = server.port
    const hashes = await Promise.all(payloads.map((p) => echoClient(port, p)))
    expect(hashes).toEqual(expected)
    expect(server.errors).toEqual([])
    const stats = await server.stats()
    report(`${CLIENTS} clients`, `all hashes match, server peak RSS ${(stats.peakRss / MiB).toFixed(0)} MiB`)
    expect(stats.peakRss).toBeLessThan(256 * MiB)
  }, 120_000)

  it(`${CYCLES} connect/close cycles leave no growth in handles, descriptors or heap`, async () => {
    server = await startServer({ codec: 'raw' })
    const port = server.port
    const payload = new Uint8Array([1, 2, 3])
    const run = async (count: number): Promise<void> => {
      // 50 at a time: bounded concurrency, so the test measures leaks, not a burst.
      for (let done = 0; done < count; done += 50) {
        await Promise.all(Array.from({ length: Math.min(50, count - done) }, () => echoClient(port, payload)))
      }
    }
    await run(1_000) // warm up: JIT, pools and free lists reach their steady size
    await until(async () => (await server?.stats())?.connections === 0)
    const before = await server.stats()
    await run(CYCLES)
    await until(async () => (await server?.stats())?.connections === 0)
    const after = await server.stats()
    report(
      `${CYCLES} cycles`,
      `handles ${before.handles} -> ${after.handles}, fds ${before.fds} -> ${after.fds}, heap ${((after.heapUsed - before.heapUsed) / 1024).toFixed(0)} KiB`,
    )
    expect(after.handles).toBe(before.handles)
    // Deno opens a Unix socket pair once, some thousand connections in (deno-late-socketpair):
    // 2 descriptors, once, not growth per connection.
    if (deviates('deno-late-socketpair')) expect([0, 2]).toContain(after.fds - before.fds)
    else expect(after.fds).toBe(before.fds)
    expect(after.heapUsed - before.heapUsed).toBeLessThan(4 * MiB)
    expect(server.errors).toEqual([])
  }, 120_000)
})
