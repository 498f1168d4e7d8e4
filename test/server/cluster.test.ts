/**
 * it-socket servers in node:cluster workers (round-robin): every connection the primary hands a
 * worker is served, including those handed over as the workers start listening, both workers serve,
 * and SIGTERM to the primary drains them (connections in flight finish).
 */
import { once } from 'node:events'
import { connect as netConnect } from 'node:net'
import { listen } from 'it-socket'
import { describe, expect, it } from 'vitest'
import { echoText, portOf, until } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'
import { runNode, sendSignal } from '../helpers/spawn.js'

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = await listen({ host: '127.0.0.1', port: 0 })
  const port = portOf(server)
  await server.close()
  return port
}

describe('node:cluster', () => {
  it('two workers serve every connection, from the first one on, and SIGTERM drains them', async () => {
    const port = await freePort()
    const cluster = runNode('test/server/fixtures/cluster-echo.mjs', [String(port), '2'])
    try {
      if (deviates('deno-cluster-early-connections')) {
        // Deno's cluster may lose a connection that comes while the workers start listening, or fail
        // a worker with EADDRINUSE: there the clients start once every worker listens.
        await until(() => cluster.stdout().includes('ready\n'), 10_000, 'the workers to listen')
      }
      // Clients start while the workers are still starting: the first connections reach a worker in
      // the same turn as its listen is answered.
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => echoText(port, `message ${i}`)))
      const pids = new Set<string>()
      replies.forEach((reply, i) => {
        const [pid, body] = reply.split('\n')
        expect(body).toBe(`message ${i}`)
        pids.add(pid as string)
      })
      // Once both listen, round-robin alternates: a few more reach both (on a loaded machine the
      // 200 above may all have come while only one worker listened).
      await until(() => cluster.stdout().includes('ready\n'), 10_000, 'the workers to listen')
      for (let i = 0; i < 4; i++) {
        const [pid, body] = (await echoText(port, `after ready ${i}`)).split('\n')
        expect(body).toBe(`after ready ${i}`)
        pids.add(pid as string)
      }
      expect(pids.size).toBe(2)

      // A connection in flight when the primary gets SIGTERM still gets its whole echo.
      const inFlight = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true })
      await once(inFlight, 'connect')
      let received = ''
      inFlight.setEncoding('utf8').on('data', (d: string) => {
        received += d
      })
      inFlight.write('first half, ')
      await new Promise((resolve) => setTimeout(resolve, 50))
      sendSignal(cluster.process, 'SIGTERM')
      inFlight.end('second half')
      await once(inFlight, 'end')
      expect(received.split('\n')[1]).toBe('first half, second half')
      expect(await cluster.exited).toBe(0)
    } finally {
      cluster.process.kill('SIGKILL')
    }
  })
})
