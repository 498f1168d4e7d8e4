import { listen, type Server } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { rawConnect, readAll } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'
import { sendSignal } from '../helpers/spawn.js'
import { cli, killAll, listeningPort } from './helpers.js'

const servers: Server[] = []
const sockets: Array<{ destroy: () => void }> = []
afterEach(async () => {
  killAll()
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(servers.splice(0).map((server) => server.close({ timeout: 0 })))
})

async function connectRaw(port: number) {
  const socket = await rawConnect(port)
  sockets.push(socket)
  return socket
}

describe('it-socket listen', () => {
  it('prints "listening on 127.0.0.1:PORT" on stderr: loopback by default, port 0 picks a free port', async () => {
    const server = cli(['listen', '0', '--framing', 'lines'])
    const port = await listeningPort(server)
    expect(port).toBeGreaterThan(0)
    expect(server.stderr()).toBe(`it-socket: listening on 127.0.0.1:${port} (print, framing lines)\n`)
  })

  it('prints each message on a line, without a prefix while one peer is connected, and logs open and close', async () => {
    const server = cli(['listen', '0', '--framing', 'lines'])
    const port = await listeningPort(server)
    const socket = await connectRaw(port)
    const peer = `127.0.0.1:${socket.localPort}`
    socket.end('one\ntwo\n')
    await server.waitFor('stderr', `${peer} closed`)
    // stdout and stderr are separate pipes: the log line may arrive first.
    await server.waitFor('stdout', 'one\ntwo\n')
    expect(server.stdout()).toBe('one\ntwo\n')
    expect(server.stderr()).toContain(`it-socket: ${peer} connected\n`)
  })

  it("prefixes each message with its peer's address while more than one peer is connected", async () => {
    const server = cli(['listen', '0', '--framing', 'lines'])
    const port = await listeningPort(server)
    const a = await connectRaw(port)
    const b = await connectRaw(port)
    const [peerA, peerB] = [`127.0.0.1:${a.localPort}`, `127.0.0.1:${b.localPort}`]
    await server.waitFor('stderr', `${peerB} connected`)
    a.write('from a\n')
    await server.waitFor('stdout', `[${peerA}] from a\n`)
    b.write('from b\n')
    await server.waitFor('stdout', `[${peerB}] from b\n`)
    b.end()
    await server.waitFor('stderr', `${peerB} closed`)
    a.end('alone again\n')
    await server.waitFor('stdout', /\nalone again\n$/)
  })

  it('--echo --until bye: echoes each line, then ends the connection after echoing bye', async () => {
    const server = cli(['listen', '0', '--echo', '--framing', 'lines', '--until', 'bye'])
    const port = await listeningPort(server)
    const socket = await connectRaw(port)
    socket.write('hello\nbye\nnot echoed\n')
    // The server ends its side after bye, although we have not ended ours.
    expect((await readAll(socket)).toString()).toBe('hello\nbye\n')
  })

  it("a peer's oversized frame: one line naming the peer on stderr, and the server keeps serving", async () => {
    const server = cli(['listen', '0', '--echo', '--framing', 'lines'])
    const port = await listeningPort(server)
    const bad = await connectRaw(port)
    bad.on('error', () => {})
    const peer = `127.0.0.1:${bad.localPort}`
    bad.write(Buffer.alloc(70_000, 'a'))
    const [line] = await server.waitFor('stderr', new RegExp(`it-socket: ${peer}: .*\\n`))
    expect(line).toMatch(/exceed maxLength 65536/)
    expect(line).not.toMatch(/\n\s+at /)
    const good = await connectRaw(port)
    good.end('still serving\n')
    expect((await readAll(good)).toString()).toBe('still serving\n')
    expect(server.process.exitCode).toBeNull()
  })

  it('SIGTERM with a client connected: stops accepting, closes, exits 0', async () => {
    const server = cli(['listen', '0', '--echo', '--framing', 'lines'])
    const port = await listeningPort(server)
    const socket = await connectRaw(port)
    socket.on('error', () => {})
    await server.waitFor('stderr', 'connected')
    sendSignal(server.process, 'SIGTERM')
    await server.waitFor('stderr', 'SIGTERM: shutting down')
    // The client finishes on its own: the server lets it.
    socket.end('last words\n')
    expect((await readAll(socket)).toString()).toBe('last words\n')
    expect(await server.exited).toBe(0)
    expect(server.stderr()).toMatch(/server closed\n$/)
  })

  it('SIGINT with an idle client: the client is cut off after the grace period, exit 0', async () => {
    const server = cli(['listen', '0', '--framing', 'lines'])
    const port = await listeningPort(server)
    const socket = await connectRaw(port)
    socket.on('error', () => {})
    await server.waitFor('stderr', 'connected')
    const ended = readAll(socket)
    // Through child.kill(), which on Deno reports the signal rather than the child's exit code 0
    // (deno-kill-reports-signal): the clean shutdown shows in what the child printed.
    server.process.kill('SIGINT')
    expect(await server.exited).toBe(deviates('deno-kill-reports-signal') ? 'SIGINT' : 0)
    expect(server.stderr()).toMatch(/server closed\n$/)
    expect((await ended).toString()).toBe('')
  })

  it('address in use: exit 1 with one line', async () => {
    const taken = await listen({ host: '127.0.0.1', port: 0 })
    servers.push(taken)
    const address = taken.address
    if (!('port' in address)) throw new Error('not TCP')
    const server = cli(['listen', String(address.port)])
    expect(await server.exited).toBe(1)
    expect(server.stderr()).toMatch(
      new RegExp(`^it-socket: Cannot listen on 127.0.0.1:${address.port}: address already in use .*\\n$`),
    )
  })

  it('--idle-timeout closes a silent connection and says so', async () => {
    const server = cli(['listen', '0', '--idle-timeout', '100'])
    const port = await listeningPort(server)
    const socket = await connectRaw(port)
    socket.on('error', () => {})
    const peer = `127.0.0.1:${socket.localPort}`
    const ended = readAll(socket)
    await server.waitFor('stderr', new RegExp(`${peer}: .*idle for 100 ms\\n`))
    expect((await ended).toString()).toBe('')
  })

  it('--max-connections 1: a second client waits until the first is done', async () => {
    const server = cli(['listen', '0', '--echo', '--framing', 'lines', '--max-connections', '1'])
    const port = await listeningPort(server)
    const first = await connectRaw(port)
    await server.waitFor('stderr', 'connected')
    const second = await connectRaw(port)
    const [firstPort, secondPort] = [first.localPort, second.localPort]
    const secondReply = readAll(second)
    second.end('second\n')
    first.end('first\n')
    expect((await readAll(first)).toString()).toBe('first\n')
    expect((await secondReply).toString()).toBe('second\n')
    await server.waitFor('stderr', `${secondPort} closed`)
    const log = server.stderr()
    expect(log.indexOf(`${firstPort} closed`)).toBeLessThan(log.indexOf(`${secondPort} connected`))
  })
})
