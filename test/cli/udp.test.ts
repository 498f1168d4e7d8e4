import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { deviates } from '../helpers/runtime.js'
import { sendSignal } from '../helpers/spawn.js'
import { cli, exitedWithStdinOpen, killAll, listeningPort } from './helpers.js'

const sockets: Socket[] = []
afterEach(() => {
  killAll()
  for (const socket of sockets.splice(0)) socket.close()
})

async function udpSocket(): Promise<Socket> {
  const socket = createSocket('udp4')
  sockets.push(socket)
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  return socket
}

describe('it-socket --udp', () => {
  it('listen --udp --echo and connect --udp --until bye: each line a datagram, echoed, exit 0', async () => {
    const server = cli(['listen', '0', '--udp', '--echo'])
    const port = await listeningPort(server)
    expect(server.stderr()).toContain('(udp, echo, framing lines)')
    const client = cli(['connect', String(port), '--udp', '--until', 'bye'])
    // One line, its echo, then the next: sent together, Deno may hand back the echo of `bye` first
    // (deno-udp-burst-reordered) and the client would stop before `hi`.
    client.write('hi\n')
    await client.waitFor('stdout', 'hi\n')
    client.write('bye\n')
    expect(await exitedWithStdinOpen(client, 'bye\n')).toBe(0)
    expect(client.stdout()).toBe('hi\nbye\n')
  })

  it('connect --udp exits 0 once stdin ended and no datagram came for --timeout ms', async () => {
    const server = cli(['listen', '0', '--udp', '--echo'])
    const port = await listeningPort(server)
    const client = cli(['connect', `127.0.0.1:${port}`, '--udp', '--timeout', '200'], 'one\ntwo\n')
    expect(await client.exited).toBe(0)
    // Deno emits a burst of datagrams out of order (deno-udp-burst-reordered, docs/RUNTIMES.md).
    if (deviates('deno-udp-burst-reordered')) expect(['one\ntwo\n', 'two\none\n']).toContain(client.stdout())
    else expect(client.stdout()).toBe('one\ntwo\n')
  })

  it('connect --udp --framing raw sends stdin as it comes and prints datagrams as they are', async () => {
    const server = cli(['listen', '0', '--udp', '--echo'])
    const port = await listeningPort(server)
    const client = cli(
      ['connect', String(port), '--udp', '--framing', 'raw', '--timeout', '200'],
      'no newline',
    )
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('no newline')
  })

  it('connect --udp to a closed port: exit 1, "is the server running?"', async () => {
    const closed = await udpSocket()
    const { port } = closed.address()
    closed.close()
    sockets.length = 0
    const client = cli(['connect', String(port), '--udp'])
    client.write('anyone?\n')
    if (deviates('deno-udp-no-port-unreachable')) {
      // Deno never reports the ICMP "port unreachable": the client waits, saying nothing, and exits 0
      // once stdin has ended and no datagram came.
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(client.process.exitCode).toBeNull()
      client.process.stdin?.end()
      expect(await client.exited).toBe(0)
      expect(client.stderr()).toBe('')
      return
    }
    expect(await client.exited).toBe(1)
    expect(client.stderr()).toMatch(/^it-socket: .*unreachable.*\(is the server running\?\)\n$/)
  })

  it("listen --udp prints each datagram, prefixed with its sender's address once two senders were seen", async () => {
    const server = cli(['listen', '0', '--udp'])
    const port = await listeningPort(server)
    const a = await udpSocket()
    const b = await udpSocket()
    a.send('first\n', port, '127.0.0.1')
    await server.waitFor('stdout', 'first\n')
    b.send('from b', port, '127.0.0.1')
    await server.waitFor('stdout', `[127.0.0.1:${b.address().port}] from b\n`)
    a.send('from a', port, '127.0.0.1')
    await server.waitFor('stdout', `[127.0.0.1:${a.address().port}] from a\n`)
    expect(server.stdout()).toBe(
      `first\n[127.0.0.1:${b.address().port}] from b\n[127.0.0.1:${a.address().port}] from a\n`,
    )
    sendSignal(server.process, 'SIGTERM')
    expect(await server.exited).toBe(0)
  })
})
