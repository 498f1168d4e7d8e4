import { connect as netConnect } from 'node:net'
import { connect, framed, lengthPrefixed } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { until } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'
import { anyEvent, rawPeers, type ServerChild, startServer, wellBehavedClients } from './helpers.js'

let server: ServerChild | undefined
const peers = rawPeers()
const rawPeer = peers.connect
afterEach(() => {
  server?.kill()
  server = undefined
  peers.destroyAll()
})

async function echoWorks(port: number): Promise<boolean> {
  await using conn = await connect({ host: '127.0.0.1', port })
  const reply = await framed(conn, lengthPrefixed()).request(new TextEncoder().encode('still there?'))
  return new TextDecoder().decode(reply) === 'still there?'
}

const DOCUMENTED = ['ERR_CONNECTION_RESET', 'ERR_UNEXPECTED_EOF', 'ERR_SOCKET_CLOSED', 'ERR_ABORTED']

describe('faults', () => {
  it('a peer that resets mid-transfer ends only its connection', async () => {
    server = await startServer({ codec: 'lp' })
    const clients = wellBehavedClients(server.port, 5)
    for (let i = 0; i < 20; i++) {
      const peer = await rawPeer(server.port)
      peer.resume()
      // Half of a 1 MiB frame, then a reset.
      peer.write(Buffer.from([0x80, 0x80, 0x40]))
      peer.write(Buffer.alloc(512 * 1024, i))
      await new Promise((resolve) => setImmediate(resolve))
      peer.resetAndDestroy()
    }
    await until(() => clients.exchanges() >= 50, 10_000, 'the good clients to go on')
    expect((await clients.stop()).wrong).toBe(0)
    await until(async () => (await server?.stats())?.connections === 0, 5_000, 'connections to close')
    for (const error of server.errors) expect(DOCUMENTED).toContain(error.code)
    expect(await echoWorks(server.port)).toBe(true)
  })

  it('peers that vanish during accept do not disturb the server', async () => {
    server = await startServer({ codec: 'lp' })
    const baseline = await server.stats()
    const vanishing = Array.from({ length: 200 }, async () => {
      const socket = netConnect({ port: server?.port as number, host: '127.0.0.1' })
      socket.on('error', () => {})
      await anyEvent(socket, 'connect', 'close')
      socket.resetAndDestroy()
    })
    await Promise.all(vanishing)
    expect(await echoWorks(server.port)).toBe(true)
    await until(async () => {
      const stats = await server?.stats()
      return stats?.connections === 0 && stats.handles === baseline.handles
    })
    const after = await server.stats()
    expect(after.fds).toBe(baseline.fds)
  })

  it('server close lets transfers finish within its timeout, then aborts and reports the rest', async () => {
    server = await startServer({ codec: 'lp' })
    let release: () => void = () => {}
    const closing = new Promise<void>((resolve) => {
      release = resolve
    })
    // Five clients mid-conversation that finish once the server has begun closing…
    const finishing = Array.from({ length: 5 }, async (_, id) => {
      await using conn = await connect({ host: '127.0.0.1', port: server?.port as number })
      const messages = framed(conn, lengthPrefixed())
      const first = await messages.request(new TextEncoder().encode(`first ${id}`))
      await closing
      const last = await messages.request(new TextEncoder().encode(`last ${id}`))
      await messages.sink([])
      const end = await messages.read()
      return { replies: [first, last].map((r) => new TextDecoder().decode(r)), end }
    })
    // …and one that never ends its side.
    const stuck = await rawPeer(server.port)
    const stuckClosed = anyEvent(stuck, 'close')
    stuck.resume()
    await until(async () => (await server?.stats())?.connections === 6, 5_000, 'six connections')
    const closed = server.close(1_000)
    release()
    const results = await Promise.all(finishing)
    await closed
    expect(results.map((r) => r.replies)).toEqual(
      Array.from({ length: 5 }, (_, id) => [`first ${id}`, `last ${id}`]),
    )
    expect(results.every((r) => r.end === undefined)).toBe(true)
    expect(server.errors.map((e) => e.code)).toEqual(['ERR_ABORTED'])
    expect(server.errors[0]?.message).toContain('aborted after 1000 ms')
    await stuckClosed
  })

  it('too many open files: the server sheds what it cannot hold, never crashes, and serves again once descriptors free up', async () => {
    server = await startServer({ codec: 'lp', fdLimit: 64 })
    const baseline = await server.stats()
    const room = 64 - baseline.fds
    // Far more connections than the child has descriptors for. libuv accepts what it can; past the
    // limit it accepts and closes at once (its reserved-descriptor trick), so those peers see an end.
    const peers = await Promise.all(Array.from({ length: room + 40 }, () => rawPeer(server?.port as number)))
    let shed = 0
    for (const peer of peers) {
      peer.resume()
      void anyEvent(peer, 'end').then(() => shed++)
    }
    if (deviates('deno-emfile-panic')) {
      // Deno panics once the server child is out of descriptors: it dies, it does not shed.
      if (server.process.exitCode === null) await anyEvent(server.process, 'exit')
      expect(server.process.exitCode).toBe(1)
      return
    }
    if (deviates('bun-no-emfile-shedding')) {
      // Bun sheds nothing: the peers it cannot accept wait in the accept queue, none sees an end.
      await new Promise((resolve) => setTimeout(resolve, 2_000))
      expect(shed).toBe(0)
    } else {
      await until(() => shed > 0, 10_000, 'the server to shed connections')
      expect(shed).toBeLessThanOrEqual(peers.length - room + 20)
    }
    expect(server.process.exitCode).toBeNull()
    for (const peer of peers) peer.destroy()
    await until(async () => (await server?.stats())?.connections === 0, 10_000, 'descriptors to free up')
    expect(await echoWorks(server.port)).toBe(true)
    expect(server.process.exitCode).toBeNull()
  })
})
