/**
 * `it-socket listen --stats [SECONDS]` (a line of `server.stats` every interval and at exit) and the
 * bytes line of `it-socket connect --verbose` (from `conn.stats`), run as built, over loopback.
 * Nothing here counts the periodic lines: only that one appears, and what it says.
 */
import { type Connection, listen, pipe, type Server } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { parseCommand } from '../../src/cli/args.js'
import { connectionStatsLine, formatBytes, serverStatsLine } from '../../src/cli/stats.js'
import { rawConnect, readAll } from '../helpers/net.js'
import { sendSignal } from '../helpers/spawn.js'
import { cli, killAll, listeningPort, usageError } from './helpers.js'

const servers: Server[] = []
afterEach(async () => {
  killAll()
  await Promise.all(servers.splice(0).map((server) => server.close({ timeout: 0 })))
})

/** The `statsInterval` (ms) that `listen ...args` parses to. */
function interval(args: string[]): number | undefined {
  const command = parseCommand(['listen', ...args])
  if (command.name !== 'listen') throw new Error(`parsed as ${command.name}`)
  return command.options.statsInterval
}

/** Connects a raw client, sends `text`, and resolves with the echo once the server ends its side. */
async function echoOnce(port: number, text: string): Promise<string> {
  const socket = await rawConnect(port)
  const reply = readAll(socket)
  socket.end(text)
  return (await reply).toString()
}

const STATS = /it-socket: stats: [^\n]*\n/

describe('listen --stats: parsing', () => {
  it('takes an optional interval in seconds: bare (default 10 s), before another flag or the address, or =N', () => {
    expect(interval(['0'])).toBeUndefined()
    expect(interval(['0', '--stats'])).toBe(10_000)
    expect(interval(['--stats', '--echo', '0'])).toBe(10_000)
    expect(interval(['0', '--stats', '2.5'])).toBe(2_500)
    expect(interval(['--stats', '1', '0'])).toBe(1_000)
    expect(interval(['0', '--stats=.5'])).toBe(500)
    expect(interval(['0', '--stats', '86400'])).toBe(86_400_000)
  })

  it('rejects an interval that is not a number of seconds from 0.001 to 86400, naming the flag', () => {
    for (const bad of ['0', '-5', '0.0005', '86401', '1e3', '', 'NaN', '+1', '1,5']) {
      expect(usageError(['listen', '0', `--stats=${bad}`]).message).toBe(
        `bad --stats "${bad}": expected seconds from 0.001 to 86400 (a day)`,
      )
    }
    // As the next argument too, when it looks like a number.
    expect(usageError(['listen', '0', '--stats', '-5']).message).toMatch(/^bad --stats "-5"/)
  })

  it('says so when --stats took what was meant as the address', () => {
    expect(usageError(['listen', '--stats', '7788']).message).toBe(
      'missing address: give [HOST:]PORT or --unix PATH; --stats took "7788" as its interval: put the address first, or write --stats=SECONDS',
    )
  })

  it('is a usage error with --udp, and unknown to connect', () => {
    expect(usageError(['listen', '0', '--udp', '--stats']).message).toBe(
      '--stats does not apply to --udp: UDP has no connections',
    )
    expect(usageError(['connect', '7788', '--stats']).message).toMatch(/unknown option '--stats'/)
  })
})

describe('the stats lines', () => {
  it('a server line: every field, always in the same order; bytes in 1024s; errors sorted by code, or none', () => {
    const stats = {
      startedAt: 0,
      accepted: 120,
      active: 3,
      pending: 1,
      peakActive: 5,
      closed: 116,
      refusedBusy: 4,
      handshakeFailures: 2,
      bytesRead: 12_595,
      bytesWritten: 3 * 1024 * 1024,
      errors: {},
    }
    expect(serverStatsLine(stats)).toBe(
      'stats: 3 active (peak 5), 1 pending, 120 accepted, 116 closed, 4 refused busy, 2 handshake failures, 12.3 KiB in, 3.0 MiB out, errors: none',
    )
    expect(
      serverStatsLine({ ...stats, errors: { ERR_TIMEOUT: 1, ERR_CONNECTION_RESET: 2, AbortError: 3 } }),
    ).toMatch(/, errors: AbortError=3, ERR_CONNECTION_RESET=2, ERR_TIMEOUT=1$/)
  })

  it('bytes: exact below 1 KiB, one decimal above, never "1024.0" of a unit', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1024)).toBe('1.0 KiB')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB')
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB')
  })

  it('a connection line: bytes both ways and how long it was open', () => {
    const line = (durationMs: number) =>
      connectionStatsLine({ bytesRead: 3000, bytesWritten: 6, openedAt: 0, closedAt: durationMs, durationMs })
    expect(line(35)).toBe('closed: 6 B sent, 2.9 KiB received in 35 ms')
    expect(line(1234)).toBe('closed: 6 B sent, 2.9 KiB received in 1.23 s')
  })
})

describe('listen --stats', () => {
  it('logs a line of the counters: two clients served and closed, with their bytes', async () => {
    const server = cli(['listen', '0', '--echo', '--framing', 'lines', '--stats', '0.2'])
    const port = await listeningPort(server)
    expect(server.stderr()).toBe(
      `it-socket: listening on 127.0.0.1:${port} (echo, framing lines, stats every 0.2 s)\n`,
    )
    // Both connected at once (peak 2), then each sends its line and ends.
    const a = await rawConnect(port)
    const b = await rawConnect(port)
    await server.waitFor('stderr', `127.0.0.1:${b.localPort} connected`)
    await server.waitFor('stderr', `127.0.0.1:${a.localPort} connected`)
    const replies = [readAll(a), readAll(b)]
    a.end('hello\n')
    b.end('hi there\n')
    expect((await Promise.all(replies)).map(String)).toEqual(['hello\n', 'hi there\n'])
    // Some line after both closed: which one, and how many before it, depends on timing.
    const [line] = await server.waitFor('stderr', /it-socket: stats: [^\n]* 2 closed,[^\n]*\n/)
    expect(line).toBe(
      'it-socket: stats: 0 active (peak 2), 0 pending, 2 accepted, 2 closed, 0 refused busy, 0 handshake failures, 15 B in, 15 B out, errors: none\n',
    )
  })

  it('logs the final line after the drain at exit, just before "server closed"', async () => {
    // An hour: the only line is the one at exit.
    const server = cli(['listen', '0', '--echo', '--stats', '3600'])
    const port = await listeningPort(server)
    expect(await echoOnce(port, 'one')).toBe('one')
    expect(await echoOnce(port, 'three')).toBe('three')
    await server.waitFor('stderr', /closed\n[\s\S]*closed\n/)
    expect(server.stderr()).not.toMatch(STATS)
    sendSignal(server.process, 'SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.stderr()).toMatch(
      /\nit-socket: SIGTERM: shutting down \(again to force\)\nit-socket: stats: 0 active \(peak [12]\), 0 pending, 2 accepted, 2 closed, 0 refused busy, 0 handshake failures, 8 B in, 8 B out, errors: none\nit-socket: server closed\n$/,
    )
  })

  it('counts failures by code: an idle timeout is ERR_TIMEOUT', async () => {
    const server = cli(['listen', '0', '--idle-timeout', '100', '--stats', '3600'])
    const port = await listeningPort(server)
    const silent = await rawConnect(port)
    silent.on('error', () => {})
    const ended = readAll(silent)
    await server.waitFor('stderr', /idle for 100 ms\n/)
    await ended
    await server.waitFor('stderr', `127.0.0.1:${silent.localPort} closed`)
    sendSignal(server.process, 'SIGTERM')
    expect(await server.exited).toBe(0)
    const [line] = STATS.exec(server.stderr()) ?? ['']
    expect(line).toMatch(/ 1 accepted, 1 closed, .* errors: ERR_TIMEOUT=1\n$/)
  })

  it('with --workers, each worker logs its own line, tagged', async () => {
    const server = cli(['listen', '0', '--echo', '--workers', '2', '--stats', '3600'])
    await listeningPort(server)
    await server.waitFor('stderr', /2 workers listening/)
    sendSignal(server.process, 'SIGTERM')
    expect(await server.exited).toBe(0)
    for (const worker of [1, 2]) {
      expect(server.stderr()).toMatch(
        new RegExp(
          `\\nit-socket: \\[worker ${worker}\\] stats: 0 active \\(peak \\d+\\), [^\\n]*, errors: none\\n`,
        ),
      )
    }
    // The primary has no server of its own, and so no line.
    expect(server.stderr()).not.toMatch(/\nit-socket: stats:/)
  })
})

describe('connect --verbose', () => {
  async function echoServer(): Promise<number> {
    const server = await listen({ host: '127.0.0.1', port: 0 })
    servers.push(server)
    void server.serve((conn: Connection) => pipe(conn, conn))
    const address = server.address
    if (!('port' in address)) throw new Error('not TCP')
    return address.port
  }

  it('logs the bytes sent and received at exit, as its last line', async () => {
    const port = await echoServer()
    const input = 'x'.repeat(3000)
    const client = cli(['connect', String(port), '--verbose'], input)
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe(input)
    expect(client.stderr()).toMatch(
      /^it-socket: closed: 2\.9 KiB sent, 2\.9 KiB received in \d+(\.\d\d)? m?s\n$/,
    )
  })

  it('counts the bytes on the wire: with lines framing, each line and its newline', async () => {
    const port = await echoServer()
    const client = cli(['connect', String(port), '--framing', 'lines', '--verbose'], 'hi\nbye\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('hi\nbye\n')
    expect(client.stderr()).toMatch(/^it-socket: closed: 7 B sent, 7 B received in /)
  })

  it('says nothing of the kind without --verbose', async () => {
    const port = await echoServer()
    const client = cli(['connect', String(port)], 'hello')
    expect(await client.exited).toBe(0)
    expect(client.stderr()).toBe('')
  })
})
