import { afterEach, describe, expect, it } from 'vitest'
import { type Child, cli, freePort, killAll, listeningPort } from '../cli/helpers.js'
import { peer, python } from './helpers.js'

// The it-socket command (test/cli/) against peers we did not write: OpenBSD netcat and the seed's
// Python programs (./fixtures/, fixed only for their typos, with the port from argv). Run by
// `npm run test:interop`, which checks first that every tool is installed (./required-tools.ts).
afterEach(killAll)

/** Sends `message` on a raw connect's stdin, then waits for it to come back on stdout. */
async function say(client: Child, message: string): Promise<void> {
  const before = client.stdout()
  client.write(message)
  await client.waitFor('stdout', `${before}${message}`)
}

describe('interop with nc', () => {
  it('nc → it-socket listen --echo --framing lines', async () => {
    const server = cli(['listen', '0', '--echo', '--framing', 'lines'])
    const port = await listeningPort(server)
    // -N: shut down our side when stdin ends (half-close), so the echo server finishes.
    const nc = peer('nc', ['-N', '127.0.0.1', String(port)], 'hello from nc\nsecond\n')
    expect(await nc.exited).toBe(0)
    expect(nc.stdout()).toBe('hello from nc\nsecond\n')
  })

  it('it-socket connect → nc -l: both ways, both exit 0', async () => {
    const port = await freePort()
    const nc = peer('nc', ['-v', '-N', '-l', '127.0.0.1', String(port)], 'from nc\n')
    await nc.waitFor('stderr', 'Listening on')
    const client = cli(['connect', String(port), '--framing', 'lines'], 'from it-socket\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('from nc\n')
    expect(await nc.exited).toBe(0)
    expect(nc.stdout()).toBe('from it-socket\n')
  })

  it('nc -u talks to it-socket listen --udp --echo', async () => {
    const server = cli(['listen', '0', '--udp', '--echo'])
    const port = await listeningPort(server)
    const nc = peer('nc', ['-u', '-w', '1', '127.0.0.1', String(port)], 'ping\n')
    expect(await nc.exited).toBe(0)
    expect(nc.stdout()).toBe('ping\n')
  })
})

describe("interop with the seed's Python programs", () => {
  it('it-socket connect → echo_server1.py (one message, then the server closes)', async () => {
    const server = python('echo_server1.py', ['0'])
    const port = await listeningPort(server)
    const client = cli(['connect', String(port)], 'hello python')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('hello python')
    expect(await server.exited).toBe(0)
    expect(server.stdout()).toBe('hello python\n')
  })

  it('echo_client1.py → it-socket listen --echo --framing raw', async () => {
    const server = cli(['listen', '0', '--echo', '--framing', 'raw'])
    const port = await listeningPort(server)
    const client = python('echo_client1.py', [String(port)], 'hi there\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('>=hi there\n')
  })

  it('it-socket connect → the looping echo server, until bye', async () => {
    const server = python('echo_server2.py', ['0'])
    const port = await listeningPort(server)
    const client = cli(['connect', String(port), '--until', 'bye'])
    await say(client, 'hello')
    await say(client, 'again')
    client.write('bye')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('helloagainbye')
    expect(await server.exited).toBe(0)
    expect(server.stdout()).toBe('hello\nagain\nbye\n')
  })

  it('the looping echo client → it-socket listen --echo --framing raw --until bye', async () => {
    const server = cli(['listen', '0', '--echo', '--framing', 'raw', '--until', 'bye'])
    const port = await listeningPort(server)
    const client = python('echo_client2.py', [String(port)], 'one\ntwo\nbye\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('>>one\n>>two\n>>')
    await server.waitFor('stderr', 'closed')
    expect(server.process.exitCode).toBeNull()
  })

  it('two it-socket clients at once → server3.py (multi echo, a thread each)', async () => {
    const server = python('server3.py', ['0'])
    const port = await listeningPort(server)
    const a = cli(['connect', String(port)])
    const b = cli(['connect', String(port)])
    await say(a, 'hi from a')
    await say(b, 'hi from b')
    await say(a, 'more from a')
    a.write('bye')
    b.write('bye')
    expect(await a.exited).toBe(0)
    expect(await b.exited).toBe(0)
    expect(a.stdout()).toBe('hi from amore from abye')
    expect(b.stdout()).toBe('hi from bbye')
    expect(server.stdout()).toMatch(/RECEIVED: hi from a << \('127\.0\.0\.1', \d+\)/)
    expect(server.stdout()).toMatch(/RECEIVED: hi from b << /)
  })
})
