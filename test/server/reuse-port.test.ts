/**
 * listen({ reusePort }): independent servers on one port where Node.js can (22.12+ / 23.1+), a clear
 * refusal before anything is bound where it cannot.
 */
import { once } from 'node:events'
import { connect as netConnect } from 'node:net'
import { listen, pipe } from 'it-socket'
import { describe, expect, it } from 'vitest'
import { portOf } from '../helpers/net.js'

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const supported = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12)

describe('listen({ reusePort })', () => {
  it(
    supported
      ? 'two servers share a port and both get connections'
      : `is refused on Node.js ${process.versions.node} with a TypeError naming the version needed, binding nothing`,
    async () => {
      const probe = await listen({ host: '127.0.0.1', port: 0 })
      const port = portOf(probe)
      await probe.close()
      if (!supported) {
        const err = await listen({ host: '127.0.0.1', port, reusePort: true }).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(TypeError)
        expect((err as Error).message).toMatch(/reusePort needs Node\.js 22\.12 or later/)
        // Nothing was bound: the port is free for a plain server.
        const again = await listen({ host: '127.0.0.1', port })
        await again.close()
        return
      }
      const servers = await Promise.all(
        [0, 1].map(() => listen({ host: '127.0.0.1', port, reusePort: true })),
      )
      const served = [0, 0]
      servers.forEach((server, i) => {
        void server.serve((conn) => {
          served[i] = (served[i] ?? 0) + 1
          return pipe(conn, conn)
        })
      })
      try {
        for (let i = 0; i < 64; i++) {
          const socket = netConnect({ host: '127.0.0.1', port })
          await once(socket, 'connect')
          socket.resume() // read the echo, so that the end comes
          socket.end('x')
          await once(socket, 'close')
        }
        expect((served[0] ?? 0) + (served[1] ?? 0)).toBe(64)
        expect(served[0]).toBeGreaterThan(0)
        expect(served[1]).toBeGreaterThan(0)
      } finally {
        await Promise.all(servers.map((s) => s.close()))
      }
    },
  )

  it('is refused for a Unix socket, and for a value that is not a boolean', async () => {
    await expect(listen({ path: '/tmp/it-socket-never-bound.sock', reusePort: true })).rejects.toThrow(
      /reusePort is for TCP ports/,
    )
    await expect(listen({ port: 0, reusePort: 'yes' as never })).rejects.toThrow(TypeError)
  })
})
