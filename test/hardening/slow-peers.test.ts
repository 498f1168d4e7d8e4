import { afterEach, describe, expect, it } from 'vitest'
import { until } from '../helpers/net.js'
import {
  anyEvent,
  MiB,
  rawPeers,
  report,
  type ServerChild,
  startServer,
  wellBehavedClients,
} from './helpers.js'

let server: ServerChild | undefined
const peers = rawPeers()
const rawPeer = peers.connect
afterEach(() => {
  server?.kill()
  server = undefined
  peers.destroyAll()
})

describe('slow and silent peers', () => {
  it('a peer that connects and sends nothing is closed at idleTimeout with TimeoutError', async () => {
    server = await startServer({ codec: 'lines', idleTimeout: 200 })
    const peer = await rawPeer(server.port)
    peer.resume()
    await anyEvent(peer, 'close')
    // The report travels through the child's stdout: wait for it.
    await until(() => server?.errors.length === 1, 5_000, 'the timeout to be reported')
    expect(server.errors.map((e) => e.code)).toEqual(['ERR_TIMEOUT'])
    expect(server.errors[0]?.message).toMatch(/^Connection with 127\.0\.0\.1:\d+ idle for 200 ms$/)
    await until(async () => (await server?.stats())?.connections === 0, 5_000, 'the slot to free up')
  })

  it('a peer trickling one byte every 50 ms holds one connection slot and one frame buffer', async () => {
    server = await startServer({ codec: 'lines', maxConnections: 2, idleTimeout: 1_000 })
    const peer = await rawPeer(server.port)
    const before = await server.stats()
    // 30 bytes of a line that never ends, each well inside the idle timeout.
    for (let i = 0; i < 30; i++) {
      peer.write('a')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const during = await server.stats()
    // Each byte came well inside the idle timeout, so it never fired.
    expect(server.errors).toEqual([])
    expect(during.connections).toBe(1)
    expect(during.pending).toBe(0)
    report('trickling peer', `RSS growth ${((during.rss - before.rss) / MiB).toFixed(1)} MiB, 1 slot held`)
    expect(during.rss - before.rss).toBeLessThan(4 * MiB)
    // The other slot still serves a well-behaved client meanwhile.
    const lpServer = await startServer({ codec: 'lp', maxConnections: 2 })
    try {
      const trickle = await rawPeer(lpServer.port)
      trickle.write(Buffer.from([10, 1])) // 1 of 10 payload bytes, then silence
      const clients = wellBehavedClients(lpServer.port, 1)
      await until(() => clients.exchanges() >= 10, 10_000, 'the other client to be served')
      expect((await clients.stop()).wrong).toBe(0)
    } finally {
      lpServer.kill()
    }
  })

  it('a peer that never reads while we write hits backpressure: our memory stays bounded', async () => {
    // The server writes 1 GiB to every connection, in 64 KiB blocks.
    server = await startServer({ mode: 'sink-only', blocks: 16_384 })
    const before = await server.stats()
    await server.resetPeak()
    const peer = await rawPeer(server.port)
    peer.pause() // never read: the kernel buffers fill, then the server's sink must wait
    // Give the server time to run into the wall; then its memory must not have grown with the data.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const stalled = await server.stats()
    expect(stalled.connections).toBe(1)
    report(
      'peer that never reads',
      `peak RSS growth ${((stalled.peakRss - before.rss) / MiB).toFixed(1)} MiB`,
    )
    expect(stalled.peakRss - before.rss).toBeLessThan(16 * MiB)
    peer.destroy()
    await until(() => server?.errors.length === 1, 5_000, 'the reset to be reported')
    expect(server.errors[0]?.code).toBe('ERR_CONNECTION_RESET')
  })
})
