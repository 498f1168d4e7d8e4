import { listen, type Server } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/net.js'
import { unacceptingListener } from '../helpers/spawn.js'
import { cli, exitedWithStdinOpen, freePort, killAll, listeningPort } from './helpers.js'

// The built command (npm run build first) as child processes, on loopback and Unix sockets only.
const servers: Server[] = []
const cleanups: Array<() => void> = []
afterEach(async () => {
  killAll()
  await Promise.all(servers.splice(0).map((server) => server.close({ timeout: 0 })))
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** `it-socket listen 0 --echo ...args`, and its port once listening. */
async function echoServer(args: string[]): Promise<number> {
  return listeningPort(cli(['listen', '0', '--echo', ...args]))
}

describe('it-socket connect', () => {
  // Each stdin line is one message; the echo comes back through the same framing and is printed.
  it.each([
    ['raw', 'hello raw\nno newline at the end', 'hello raw\nno newline at the end'],
    ['lines', 'first\nsecond line\n', 'first\nsecond line\n'],
    ['lp', 'first\nsecond line\n', 'first\nsecond line\n'],
    ['lp:uint32be', 'first\n\nthird\n', 'first\n\nthird\n'],
    ['lp:uint16be', 'one\n', 'one\n'],
    ['fixed:4', 'abcd\nwxyz\n', 'abcd\nwxyz\n'],
    ['delim:\\0', 'first\nsecond line\n', 'first\nsecond line\n'],
    ['delim:\\r\\n', 'crlf\n', 'crlf\n'],
    ['text:lp', 'héllo\n', 'héllo\n'],
    ['json:lines', '{"a": 1}\n[1, 2]\n"s"\n', '{"a":1}\n[1,2]\n"s"\n'],
    ['json:lp:uint32be', '{"nested": {"b": [true, null]}}\n', '{"nested":{"b":[true,null]}}\n'],
  ])('echo round trip with --framing %s, exit 0 after stdin ends', async (framing, input, output) => {
    const port = await echoServer(['--framing', framing])
    const client = cli(['connect', String(port), '--framing', framing], input)
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe(output)
    expect(client.stderr()).toBe('')
  })

  it('takes HOST:PORT as well as a bare PORT', async () => {
    const port = await echoServer(['--framing', 'lines'])
    const client = cli(['connect', `127.0.0.1:${port}`, '--framing', 'lines'], 'hi\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('hi\n')
  })

  it('--until bye exits 0 once bye came back, with stdin still open', async () => {
    // The server does not end the connection by itself: the client's --until does.
    const port = await echoServer(['--framing', 'lines'])
    const client = cli(['connect', String(port), '--framing', 'lines', '--until', 'bye'])
    client.write('hi\nbye\n')
    expect(await exitedWithStdinOpen(client, 'bye\n')).toBe(0)
    expect(client.stdout()).toBe('hi\nbye\n')
  })

  it("the seed's session: printf 'hi\\nbye\\n' | connect --framing lines --until bye against listen --until bye", async () => {
    const port = await echoServer(['--framing', 'lines', '--until', 'bye'])
    const client = cli(['connect', String(port), '--framing', 'lines', '--until', 'bye'], 'hi\nbye\nnever\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('hi\nbye\n')
  })

  it('--until with raw matches a chunk exactly equal to MSG', async () => {
    const port = await echoServer([])
    const client = cli(['connect', String(port), '--until', 'bye'])
    client.write('hello')
    await client.waitFor('stdout', 'hello')
    client.write('bye')
    expect(await exitedWithStdinOpen(client, 'hellobye')).toBe(0)
    expect(client.stdout()).toBe('hellobye')
  })

  it('stdin EOF half-closes: replies the server sends after our FIN are still printed', async () => {
    // A server written with the library that answers only once the client has finished sending.
    const server = await listen({ host: '127.0.0.1', port: 0 })
    servers.push(server)
    void server.serve(async (conn) => {
      let received = 0
      for await (const chunk of conn.source) received += chunk.length
      const encoder = new TextEncoder()
      await conn.sink([encoder.encode(`got ${received} bytes\n`), encoder.encode('late reply\n')])
    })
    const address = server.address
    if (!('port' in address)) throw new Error('not TCP')
    const client = cli(['connect', String(address.port), '--framing', 'lines'], 'a\nbb\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('got 5 bytes\nlate reply\n')
  })

  it('a JSON framing reports a line that is not JSON, skips it and exits 1 at the end', async () => {
    const port = await echoServer(['--framing', 'json:lines'])
    const client = cli(['connect', String(port), '--framing', 'json:lines'], '{"ok":1}\nnot json\n2\n')
    expect(await client.exited).toBe(1)
    expect(client.stdout()).toBe('{"ok":1}\n2\n')
    expect(client.stderr()).toMatch(/^it-socket: stdin line 2 not sent: not JSON: .+\n$/)
  })

  it('connection refused: exit 1 and one line asking whether the server is running', async () => {
    const port = await freePort()
    const client = cli(['connect', String(port)], '')
    expect(await client.exited).toBe(1)
    expect(client.stderr()).toMatch(
      new RegExp(`^it-socket: Connection refused by localhost:${port}.*\\(is the server running\\?\\)\\n$`),
    )
    expect(client.stdout()).toBe('')
  })

  it('--timeout: a connection that cannot be established fails after MS with exit 1 and one line', async () => {
    const listener = await unacceptingListener()
    try {
      const client = cli(['connect', `127.0.0.1:${listener.port}`, '--timeout', '200'], '')
      expect(await client.exited).toBe(1)
      expect(client.stderr()).toMatch(
        new RegExp(`^it-socket: Connect to 127\\.0\\.0\\.1:${listener.port} timed out after 200 ms.*\\n$`),
      )
    } finally {
      await listener.close()
    }
  })

  it('--verbose adds the stack trace to a runtime error', async () => {
    const port = await freePort()
    const client = cli(['connect', String(port), '--verbose'], '')
    expect(await client.exited).toBe(1)
    expect(client.stderr()).toContain('ConnectionRefusedError')
    expect(client.stderr()).toMatch(/\n\s+at /)
  })

  it('a peer that sends an oversized frame: exit 1 with one line naming the limit', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 })
    servers.push(server)
    void server.serve((conn) => conn.sink([new Uint8Array(70_000).fill(0x61)]))
    const address = server.address
    if (!('port' in address)) throw new Error('not TCP')
    const client = cli(['connect', String(address.port), '--framing', 'lines'], '')
    expect(await client.exited).toBe(1)
    expect(client.stderr()).toMatch(/^it-socket: .*exceed.*65536.*\n$/)
  })

  it('--unix: echo round trip over a Unix socket', async () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const path = `${dir}/echo.sock`
    const server = cli(['listen', '--unix', path, '--echo', '--framing', 'lp'])
    await server.waitFor('stderr', `listening on unix:${path}`)
    const client = cli(['connect', '--unix', path, '--framing', 'lp'], 'over unix\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('over unix\n')
    expect(server.stderr()).toMatch(/unix:.*#1 connected/)
  })
})
