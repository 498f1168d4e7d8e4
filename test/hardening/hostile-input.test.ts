import { connect as netConnect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { pseudoRandomBytes } from '../helpers/bytes.js'
import { until } from '../helpers/net.js'
import { anyEvent, MiB, report, type ServerChild, startServer, wellBehavedClients } from './helpers.js'

// Bad input from a raw socket, per codec. Each case runs against a server child (a real it-socket
// server in its own process) while 20 well-behaved clients keep echoing through the same server.

let server: ServerChild | undefined
afterEach(() => {
  server?.kill()
  server = undefined
})

/** Sends `bytes` from a raw peer (then FIN when `end`), and waits until the server closes it. */
async function hostilePeer(port: number, write: (socket: Socket) => Promise<void> | void): Promise<void> {
  const socket = netConnect({ port, host: '127.0.0.1', allowHalfOpen: false })
  socket.on('error', () => {}) // the server may reset us mid-write: that is the point
  socket.resume()
  await anyEvent(socket, 'connect', 'close')
  const closed = anyEvent(socket, 'close')
  await write(socket)
  await closed
}

/** Writes `total` bytes of `fill` in 64 KiB blocks, honouring backpressure, until done or closed. */
async function flood(socket: Socket, total: number, fill: number): Promise<number> {
  const block = Buffer.alloc(64 * 1024, fill)
  let sent = 0
  while (sent < total && !socket.destroyed) {
    sent += block.length
    if (!socket.write(block)) {
      await anyEvent(socket, 'drain', 'close')
    }
  }
  return sent
}

interface Case {
  name: string
  codec: string
  maxLength?: number
  code: string
  write: (socket: Socket) => Promise<void> | void
  /** Bytes the server may hold for the bad peer, beyond its idle baseline (RSS). */
  memory?: number
}

const cases: Case[] = [
  {
    name: 'a length prefix announcing 4 GiB',
    codec: 'lp',
    code: 'ERR_FRAME_TOO_LONG',
    write: (s) => {
      s.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))
    },
  },
  {
    name: 'a varint that never ends',
    codec: 'lp',
    code: 'ERR_INVALID_FRAME',
    write: (s) => {
      s.write(Buffer.alloc(64, 0xff))
    },
  },
  {
    name: 'random garbage into json:lp',
    codec: 'json:lp',
    maxLength: 1024,
    code: 'ERR_INVALID_FRAME',
    write: (s) => {
      // Valid length prefixes of garbage payloads: the JSON layer must reject them.
      const payload = Buffer.from(pseudoRandomBytes(100, 9)).map((b) => (b === 0x7b ? 0x21 : b))
      s.write(Buffer.concat([Buffer.from([payload.length]), payload]))
    },
  },
  {
    name: 'a line of 100 MiB with no newline',
    codec: 'lines',
    code: 'ERR_FRAME_TOO_LONG',
    memory: 16 * MiB,
    write: async (s) => {
      await flood(s, 100 * MiB, 0x61)
    },
  },
  {
    name: 'a frame cut off by the peer FIN',
    codec: 'lp',
    code: 'ERR_UNEXPECTED_EOF',
    write: (s) => {
      s.end(Buffer.concat([Buffer.from([100]), Buffer.alloc(50, 1)]))
    },
  },
  {
    name: 'invalid UTF-8 into lines()',
    codec: 'lines',
    code: 'ERR_INVALID_FRAME',
    write: (s) => {
      s.write(Buffer.from([0x68, 0xff, 0xfe, 0x0a]))
    },
  },
  {
    name: 'bad JSON into json(lines())',
    codec: 'json:lines',
    code: 'ERR_INVALID_FRAME',
    write: (s) => {
      s.write('{"almost": json\n')
    },
  },
]

describe('hostile input: each bad peer is closed alone, reported with its address, and bounded in memory', () => {
  it.each(cases)('$name ($codec) → $code', async (c) => {
    server = await startServer({
      codec: c.codec,
      ...(c.maxLength === undefined ? {} : { maxLength: c.maxLength }),
    })
    // The well-behaved clients speak lp; for other codecs they get their own server.
    const good = c.codec === 'lp' ? server : await startServer({ codec: 'lp' })
    const clients = wellBehavedClients(good.port, 20)
    await until(() => clients.exchanges() >= 20, 10_000, 'the good clients to start')
    const before = await server.stats()
    await server.resetPeak()
    await hostilePeer(server.port, c.write)
    const after = await server.stats()
    // The good clients go on after the attack.
    const during = clients.exchanges()
    await until(() => clients.exchanges() >= during + 20, 10_000, 'the good clients to go on')
    const result = await clients.stop()
    if (good !== server) good.kill()

    report(
      c.name,
      `${server.errors[0]?.code}, peak RSS growth ${((after.peakRss - before.rss) / MiB).toFixed(1)} MiB, good clients ${result.exchanges} exchanges, ${result.wrong} wrong`,
    )
    expect(server.errors).toHaveLength(1)
    expect(server.errors[0]?.code).toBe(c.code)
    expect(server.errors[0]?.peer?.address).toBe('127.0.0.1')
    // Only the hostile connection was closed.
    expect(after.connections).toBe(good === server ? 20 : 0)
    expect(after.peakRss - before.rss).toBeLessThan(c.memory ?? 8 * MiB)
    expect(result.wrong).toBe(0)
    expect(result.exchanges).toBeGreaterThan(0)
  })
})
