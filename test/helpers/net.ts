import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server as NetServer, connect as netConnect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from 'it-socket'

/** The TCP port a server bound. */
export function portOf(server: Server): number {
  const address = server.address
  if (!('port' in address)) throw new Error('not a TCP server')
  return address.port
}

/** A raw node:net client (a peer we did not write with it-socket), connected. */
export async function rawConnect(port: number, host = '127.0.0.1'): Promise<Socket> {
  const socket = netConnect({ port, host, allowHalfOpen: true })
  await once(socket, 'connect')
  return socket
}

/**
 * Reads a raw socket to its end (the peer's FIN) without destroying it: Node's own `for await`
 * over a socket would destroy it, and with it our side's half-open writes.
 */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.once('end', () => resolve(Buffer.concat(chunks)))
    socket.once('error', reject)
    socket.once('close', () => resolve(Buffer.concat(chunks)))
  })
}

/** Whether a TCP connection to 127.0.0.1:`port` succeeds now (the connection is closed at once). */
export async function canConnect(port: number): Promise<boolean> {
  const socket = netConnect({ port, host: '127.0.0.1' })
  try {
    await once(socket, 'connect')
    return true
  } catch {
    return false
  } finally {
    socket.destroy()
  }
}

/** A fresh directory for Unix socket files; `cleanup()` removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'it-socket-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Resolves when `predicate()` holds, checking every 5 ms; rejects after `ms`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/**
 * A plain node:net server on 127.0.0.1 recording the remote port of each connection it accepts, in
 * order; `acceptedUpTo(port)` waits until it accepted the connection from `port`.
 */
export async function recordingServer(): Promise<{
  port: number
  accepted: number[]
  acceptedUpTo: (port: number) => Promise<void>
  close: () => Promise<void>
}> {
  const accepted: number[] = []
  const sockets: Socket[] = []
  const server: NetServer = createServer((socket) => {
    accepted.push(socket.remotePort ?? 0)
    sockets.push(socket)
    socket.on('error', () => {}) // a client going away is part of some tests
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('not a TCP server')
  return {
    port: address.port,
    accepted,
    async acceptedUpTo(port) {
      while (!accepted.includes(port)) await once(server, 'connection')
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      const closed = once(server, 'close')
      server.close()
      await closed
    },
  }
}

/**
 * Connects to `port` on 127.0.0.1 (retrying while nobody listens yet, as when a cluster's workers
 * are still starting), sends `message`, half-closes, and resolves with everything the server sent
 * back before its end.
 */
export async function echoText(port: number, message: string): Promise<string> {
  for (;;) {
    const socket = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true })
    try {
      await once(socket, 'connect')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw err
      await new Promise((resolve) => setTimeout(resolve, 5))
      continue
    }
    let received = ''
    socket.setEncoding('utf8').on('data', (d: string) => {
      received += d
    })
    socket.end(message)
    await once(socket, 'end')
    socket.destroy()
    return received
  }
}
