import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { parseCommand } from '../../src/cli/args.js'
import { usageLine } from '../../src/cli/usage-error.js'
import { rawConnect, readAll } from '../helpers/net.js'
import { type Child, cli, killAll, listeningPort, usageError } from './helpers.js'

// The built command (npm run build first) as a child process; the clients are node:net sockets
// that write the PROXY header themselves, as a load balancer would.
const sockets: Socket[] = []
afterEach(() => {
  killAll()
  for (const socket of sockets.splice(0)) socket.destroy()
})

/** A single line on stderr, as every error of the command is. */
const ONE_LINE = /^it-socket: [^\n]+\n$/

const V1 = 'PROXY TCP4 192.0.2.1 127.0.0.1 5555 7788\r\n'

/** A PROXY v2 header: PROXY command, TCP over IPv4, from `source:sourcePort` to 127.0.0.1:7788. */
function v2Header(source: [number, number, number, number], sourcePort: number): Buffer {
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])
  const addresses = Buffer.alloc(12)
  addresses.set(source, 0)
  addresses.set([127, 0, 0, 1], 4)
  addresses.writeUInt16BE(sourcePort, 8)
  addresses.writeUInt16BE(7788, 10)
  return Buffer.concat([signature, Buffer.from([0x21, 0x11, 0x00, 12]), addresses])
}

/** `it-socket listen 0 ...args` and its port. */
async function server(args: string[]): Promise<{ server: Child; port: number }> {
  const child = cli(['listen', '0', ...args])
  return { server: child, port: await listeningPort(child) }
}

/** A raw client, cleaned up after the test, and its local port (kept: a closed socket forgets it). */
async function client(port: number): Promise<{ socket: Socket; localPort: number }> {
  const socket = await rawConnect(port)
  sockets.push(socket)
  socket.on('error', () => {})
  const localPort = socket.localPort
  if (localPort === undefined) throw new Error('no local port')
  return { socket, localPort }
}

/**
 * What a socket received before the server closed it, however it closed: a server that closes a connection
 * with our bytes unread makes the kernel send a reset (ECONNRESET), which is not an error here.
 */
function receivedUntilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    // `end` too: the socket is half-open (allowHalfOpen), so a FIN alone does not close it.
    socket.once('end', () => resolve(text))
    socket.once('close', () => resolve(text))
  })
}

describe('it-socket listen --proxy-protocol', () => {
  it('echoes what follows a v1 header sent in the same write, and names the client of the header', async () => {
    const { server: child, port } = await server(['--proxy-protocol', '--echo'])
    expect(child.stderr()).toBe(
      `it-socket: listening on 127.0.0.1:${port} (proxy protocol, echo, framing raw)\n`,
    )
    const { socket, localPort } = await client(port)
    const received = readAll(socket)
    socket.end(`${V1}hello\n`)
    expect((await received).toString()).toBe('hello\n')
    await child.waitFor('stderr', 'it-socket: 192.0.2.1:5555 closed\n')
    expect(child.stderr()).toContain('it-socket: 192.0.2.1:5555 connected\n')
    // Without --verbose the proxy (the socket's peer) is not shown.
    expect(child.stderr()).not.toContain(`127.0.0.1:${localPort}`)
  })

  it('--verbose names the proxy too; the [PEER] prefix on stdout is the client of the header (v1 and v2)', async () => {
    const { server: child, port } = await server(['--proxy-protocol', '--framing', 'lines', '--verbose'])
    const { socket: first, localPort: firstPort } = await client(port)
    first.write(`${V1}first\n`)
    await child.waitFor('stdout', 'first\n')
    expect(child.stderr()).toContain(`it-socket: 192.0.2.1:5555 connected via proxy 127.0.0.1:${firstPort}\n`)
    const { socket: second, localPort: secondPort } = await client(port)
    second.write(Buffer.concat([v2Header([198, 51, 100, 7], 4444), Buffer.from('second\n')]))
    await child.waitFor('stdout', '[198.51.100.7:4444] second\n')
    expect(child.stderr()).toContain(
      `it-socket: 198.51.100.7:4444 connected via proxy 127.0.0.1:${secondPort}\n`,
    )
    expect(child.stdout()).not.toContain('127.0.0.1')
  })

  it('a bad header is logged as ProxyProtocolError with its reason, the connection closed unread; the next client is served', async () => {
    const { server: child, port } = await server(['--proxy-protocol', '--echo'])
    const { socket: bad, localPort: badPort } = await client(port)
    const closed = receivedUntilClosed(bad)
    bad.write('PROXY TCP4 192.0.2.1 127.0.0.1 99999 7788\r\nsecret\n')
    const [line] = await child.waitFor('stderr', /it-socket: Bad PROXY header[^\n]*\n/)
    expect(line).toBe(
      `it-socket: Bad PROXY header from 127.0.0.1:${badPort}: the source port is above 65535 (byte 35) (ProxyProtocolError V1_BAD_PORT)\n`,
    )
    expect(await closed).toBe('')
    expect(child.stderr()).not.toContain('connected')

    const { socket: good } = await client(port)
    const received = readAll(good)
    good.end(`${V1}still serving\n`)
    expect((await received).toString()).toBe('still serving\n')
    expect(child.process.exitCode).toBeNull()
  })

  it('--trusted without loopback: a loopback peer is closed unread and logged as UNTRUSTED_PEER', async () => {
    const { server: child, port } = await server([
      '--proxy-protocol',
      '--trusted',
      '10.0.0.0/8,192.168.0.1',
      '--echo',
    ])
    const { socket, localPort } = await client(port)
    const closed = receivedUntilClosed(socket)
    socket.write(`${V1}hello\n`)
    const [line] = await child.waitFor('stderr', /it-socket: Connection from [^\n]*\n/)
    expect(line).toBe(
      `it-socket: Connection from 127.0.0.1:${localPort} closed unread: not a trusted proxy (proxyProtocol.trusted) (ProxyProtocolError UNTRUSTED_PEER: its address is not in --trusted)\n`,
    )
    expect(await closed).toBe('')
    expect(child.stderr()).not.toContain('connected')
    expect(child.process.exitCode).toBeNull()
  })

  it('--trusted naming loopback serves a loopback peer', async () => {
    const { server: child, port } = await server([
      '--proxy-protocol',
      '--trusted',
      '10.0.0.0/8,127.0.0.1',
      '--echo',
    ])
    const { socket } = await client(port)
    const received = readAll(socket)
    socket.end(`${V1}trusted\n`)
    expect((await received).toString()).toBe('trusted\n')
    await child.waitFor('stderr', 'it-socket: 192.0.2.1:5555 connected\n')
  })

  it('without --proxy-protocol a header is data like any other', async () => {
    const { server: child, port } = await server(['--echo'])
    expect(child.stderr()).not.toContain('proxy protocol')
    const { socket, localPort } = await client(port)
    const received = readAll(socket)
    socket.end(`${V1}hello\n`)
    expect((await received).toString()).toBe(`${V1}hello\n`)
    await child.waitFor('stderr', `it-socket: 127.0.0.1:${localPort} connected\n`)
  })
})

describe('it-socket listen --proxy-protocol: arguments', () => {
  function proxyOption(args: string[]): unknown {
    const command = parseCommand(args)
    if (command.name !== 'listen') throw new Error(`parsed as ${command.name}`)
    return command.options.proxyProtocol
  }

  it('--proxy-protocol alone trusts the library default (loopback); --trusted gives the list as it is', () => {
    expect(proxyOption(['listen', '0'])).toBeUndefined()
    expect(proxyOption(['listen', '0', '--proxy-protocol'])).toBe(true)
    expect(
      proxyOption(['listen', '0', '--proxy-protocol', '--trusted', '10.0.0.0/8,::1/128,192.0.2.7']),
    ).toEqual({
      trusted: ['10.0.0.0/8', '::1/128', '192.0.2.7'],
    })
  })

  const rows: Array<[args: string[], message: RegExp]> = [
    [['listen', '0', '--trusted', '10.0.0.0/8'], /^--trusted needs --proxy-protocol$/],
    [
      ['listen', '0', '--udp', '--proxy-protocol'],
      /--proxy-protocol does not apply to --udp: the PROXY protocol runs over TCP only/,
    ],
    [['listen', '0', '--udp', '--trusted', '10.0.0.0/8'], /--trusted does not apply to --udp/],
    [
      ['listen', '--unix', '/tmp/it-socket-proxy.sock', '--proxy-protocol'],
      /--proxy-protocol needs a TCP address/,
    ],
    [
      ['listen', '0', '--proxy-protocol', '--trusted', '10.0.0/8'],
      /bad --trusted "10.0.0\/8": "10.0.0\/8" is not an address or a CIDR block/,
    ],
    [['listen', '0', '--proxy-protocol', '--trusted', '10.0.0.0/33'], /"10.0.0.0\/33" is not/],
    [['listen', '0', '--proxy-protocol', '--trusted', '::1/129'], /"::1\/129" is not/],
    [
      ['listen', '0', '--proxy-protocol', '--trusted', '10.0.0.0/8,'],
      /bad --trusted "10.0.0.0\/8,": "" is not/,
    ],
    [['listen', '0', '--proxy-protocol', '--trusted', '10.0.0.0/8/8'], /"10.0.0.0\/8\/8" is not/],
    [['listen', '0', '--proxy-protocol', '--trusted', '10.0.0.0/+8'], /"10.0.0.0\/\+8" is not/],
    [['listen', '0', '--proxy-protocol', '--trusted', 'localhost'], /"localhost" is not/],
    [['listen', '0', '--proxy-protocol', '--trusted', '10.0.0.0/ 8'], /"10.0.0.0\/ 8" is not/],
  ]

  it.each(rows)('%j is a usage error of one line, saying %s', (args, message) => {
    const error = usageError(args)
    expect(error.command).toBe('listen')
    expect(error.message).toMatch(message)
    expect(`it-socket: ${usageLine(error)}\n`).toMatch(ONE_LINE)
  })

  it('listen --proxy-protocol --udp: exit 2 with one line, nothing bound', async () => {
    const child = cli(['listen', '0', '--proxy-protocol', '--udp'])
    expect(await child.exited).toBe(2)
    expect(child.stderr()).toBe(
      'it-socket: --proxy-protocol does not apply to --udp: the PROXY protocol runs over TCP only (see it-socket listen --help)\n',
    )
    expect(child.stdout()).toBe('')
  })

  it('listen --trusted without --proxy-protocol: exit 2 with one line', async () => {
    const child = cli(['listen', '0', '--trusted', '10.0.0.0/8'])
    expect(await child.exited).toBe(2)
    expect(child.stderr()).toBe('it-socket: --trusted needs --proxy-protocol (see it-socket listen --help)\n')
  })

  it('a bad CIDR block: exit 2 with one line naming it, nothing bound', async () => {
    const child = cli(['listen', '0', '--proxy-protocol', '--trusted', '10.0.0.0/8,10.1.0.0/99'])
    expect(await child.exited).toBe(2)
    expect(child.stderr()).toBe(
      'it-socket: bad --trusted "10.0.0.0/8,10.1.0.0/99": "10.1.0.0/99" is not an address or a CIDR block (expected e.g. 10.0.0.0/8,::1/128) (see it-socket listen --help)\n',
    )
    expect(child.stderr()).not.toContain('listening')
  })
})
