import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect as netConnect, type Socket } from 'node:net'
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
