import {
  AbortError,
  type Connection,
  connect,
  type ErrorReporter,
  listen,
  pipe,
  ServerBusyError,
} from 'it-socket'
import { describe, expect, it } from 'vitest'
import { collectBytes, decoder, encoder } from '../helpers/bytes.js'
import { portOf, rawConnect, readAll, until } from '../helpers/net.js'

async function echoOnce(port: number, text: string): Promise<string> {
  await using conn = await connect({ host: '127.0.0.1', port })
  const [, reply] = await Promise.all([conn.sink([encoder.encode(text)]), collectBytes(conn.source)])
  return decoder.decode(reply)
}

describe('Server', () => {
  it('for await yields each accepted connection and ends when the server closes', async () => {
    const server = await listen({ host: '127.0.0.1' })
    const seen: string[] = []
    const loop = (async () => {
      for await (const conn of server) {
        seen.push(decoder.decode(await collectBytes(conn.source)))
        await conn.close()
      }
    })()
    for (const text of ['one', 'two', 'three']) {
      const conn = await connect({ host: '127.0.0.1', port: portOf(server) })
      await conn.sink([encoder.encode(text)])
      await conn.close()
    }
    await until(() => seen.length === 3)
    await server.close()
    await loop
    expect(seen).toEqual(['one', 'two', 'three'])
  })

  it('serve(): a throwing handler aborts its own connection only, is reported, and the server goes on', async () => {
    const reports: Array<{ err: Error; conn: Connection | undefined }> = []
    const onError: ErrorReporter = (err, conn) => reports.push({ err, conn })
    await using server = await listen({ host: '127.0.0.1', onError })
    const serving = server.serve(async (conn) => {
      const first = decoder.decode((await conn.source.next()).value as Uint8Array)
      if (first.startsWith('crash')) throw new Error(`handler failed on ${first}`)
      await conn.sink(
        (async function* () {
          yield encoder.encode(first)
          yield* conn.source
        })(),
      )
    })
    const port = portOf(server)
    const healthy = await connect({ host: '127.0.0.1', port })
    const healthyReply = collectBytes(healthy.source)
    const writer = healthy.sink(
      (async function* () {
        yield encoder.encode('before ')
        // The crash happens on another connection while this one is open.
        const crashing = await rawConnect(port)
        crashing.write('crash!')
        await readAll(crashing)
        yield encoder.encode('after')
      })(),
    )
    await writer
    expect(decoder.decode(await healthyReply)).toBe('before after')
    await healthy.close()
    expect(reports).toHaveLength(1)
    expect(reports[0]?.err.message).toBe('handler failed on crash!')
    expect(reports[0]?.conn?.remoteAddress).toMatchObject({ address: '127.0.0.1' })
    expect(await echoOnce(port, 'still serving')).toBe('still serving')
    await server.close()
    await serving
  })

  it('serve(): a handler that starts pipe(conn, conn) without returning it still echoes everything', async () => {
    await using server = await listen({ host: '127.0.0.1' })
    const errors: Error[] = []
    const serving = server.serve(
      (conn) => {
        void pipe(conn, conn) // the mistake: the pipe is not returned
      },
      { onError: (err) => errors.push(err) },
    )
    const payload = 'x'.repeat(200_000)
    for (let i = 0; i < 3; i++)
      expect(await echoOnce(portOf(server), `${i}:${payload}`)).toBe(`${i}:${payload}`)
    await server.close()
    await serving
    expect(errors).toEqual([])
  })

  it('serve(): a connection whose peer never ends is closed in the background and tracked until it has', async () => {
    await using server = await listen({ host: '127.0.0.1' })
    void server.serve(async (conn) => {
      await conn.sink([encoder.encode('hello')])
    })
    const peer = await rawConnect(portOf(server))
    // The peer never ends its side; it still sees all of the reply and our FIN.
    expect(decoder.decode(await readAll(peer))).toBe('hello')
    expect(server.connections).toBe(1) // tracked until the close finishes in the background
    peer.end()
    await until(() => server.connections === 0, 5_000, 'the connection to close')
  })

  it('maxConnections: extra connections wait unread, are not refused, and are served when a slot frees', async () => {
    await using server = await listen({ host: '127.0.0.1', maxConnections: 2 })
    let peak = 0
    const serving = server.serve(async (conn) => {
      peak = Math.max(peak, server.connections)
      await pipe(conn, conn)
    })
    const port = portOf(server)
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => echoOnce(port, `client ${i}`)))
    expect(replies).toEqual(Array.from({ length: 8 }, (_, i) => `client ${i}`))
    expect(peak).toBe(2)
    await server.close()
    await serving
  })

  it('maxPending: past the queue bound a new connection is closed and reported as ServerBusyError', async () => {
    const reports: Error[] = []
    await using server = await listen({
      host: '127.0.0.1',
      maxConnections: 1,
      maxPending: 1,
      onError: (err) => reports.push(err),
    })
    const port = portOf(server)
    const iterator = server[Symbol.asyncIterator]()
    const first = await rawConnect(port)
    const served = (await iterator.next()).value as Connection
    const waiting = await rawConnect(port)
    await until(() => server.pending === 1)
    const turnedAway = await rawConnect(port)
    const turnedAwayEnd = readAll(turnedAway).catch(() => Buffer.alloc(0))
    await until(() => reports.length === 1)
    expect(reports[0]).toBeInstanceOf(ServerBusyError)
    expect((reports[0] as ServerBusyError).code).toBe('ERR_SERVER_BUSY')
    expect(reports[0]?.message).toContain('maxPending 1')
    await turnedAwayEnd
    // The one waiting is served as soon as the first closes.
    served.abort()
    first.destroy()
    const next = await iterator.next()
    expect(next.done).toBe(false)
    waiting.destroy()
    ;(next.value as Connection).abort()
  })

  it('close() with open connections lets them finish and resolves once all have closed', async () => {
    const server = await listen({ host: '127.0.0.1' })
    const serving = server.serve((conn) => pipe(conn, conn))
    const conn = await connect({ host: '127.0.0.1', port: portOf(server) })
    await until(() => server.connections === 1)
    const reply = collectBytes(conn.source)
    const closing = server.close({ timeout: 5_000 })
    await conn.sink([encoder.encode('finishing up')])
    expect(decoder.decode(await reply)).toBe('finishing up')
    await closing
    await serving
    expect(server.connections).toBe(0)
    await conn.close()
  })

  it('close() aborts connections still open after its timeout, with AbortError', async () => {
    const server = await listen({ host: '127.0.0.1' })
    const errors: Error[] = []
    const serving = server.serve(
      async (conn) => {
        await collectBytes(conn.source)
      },
      { onError: (err) => errors.push(err) },
    )
    const peer = await rawConnect(portOf(server))
    const peerEnd = readAll(peer)
    await until(() => server.connections === 1)
    await server.close({ timeout: 50 })
    await serving
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(AbortError)
    expect(errors[0]?.message).toContain('aborted after 50 ms')
    await peerEnd
  })

  it('leaves no handles behind after 1,000 connect/close cycles', async () => {
    const before = countResources()
    {
      await using server = await listen({ host: '127.0.0.1' })
      void server.serve((conn) => pipe(conn, conn))
      const port = portOf(server)
      for (let i = 0; i < 1_000; i++) {
        const conn = await connect({ host: '127.0.0.1', port })
        await conn.sink([encoder.encode('x')])
        await collectBytes(conn.source)
        await conn.close()
      }
      await until(() => server.connections === 0)
    }
    // Handles close on the next turns of the event loop; a leak never gets back to the count before.
    await until(() => JSON.stringify(countResources()) === JSON.stringify(before), 5_000, 'handles to close')
    expect(countResources()).toEqual(before)
  }, 60_000)
})

/** TCP handles alive in this process, by kind. */
function countResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'TCPServerWrap') counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}
