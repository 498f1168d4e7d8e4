/** Shared helpers of the web stream tests: a loopback server per test, and stream utilities. */
import type { Socket } from 'node:net'
import { type Connection, connect, listen, type Server } from 'it-socket'
import { afterEach, beforeEach } from 'vitest'
import { portOf, rawConnect } from '../helpers/net.js'

/**
 * A loopback server for each test of the file that calls this (closed after it); `pair()` connects
 * a client to it and returns both ends.
 */
export function serverPerTest(): {
  pair: () => Promise<{ client: Connection; server: Connection }>
  /** A raw node:net client (a peer that can reset) and the server's connection for it. */
  rawPair: () => Promise<{ peer: Socket; server: Connection }>
} {
  let server: Server
  const accept = async (): Promise<Connection> => {
    const next = await server[Symbol.asyncIterator]().next()
    if (next.done === true) throw new Error('server closed')
    return next.value
  }
  beforeEach(async () => {
    server = await listen({ host: '127.0.0.1' })
  })
  afterEach(async () => {
    await server.close({ timeout: 100 })
  })
  return {
    async pair() {
      const [client, accepted] = await Promise.all([
        connect({ host: '127.0.0.1', port: portOf(server) }),
        accept(),
      ])
      return { client, server: accepted }
    },
    async rawPair() {
      const [peer, accepted] = await Promise.all([rawConnect(portOf(server)), accept()])
      return { peer, server: accepted }
    },
  }
}

/** Reads a byte stream to its end with a default reader. */
export async function readAllWeb(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of readable) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** Waits until `count()` has not changed for 200 ms: a writer is blocked for good. */
export async function untilSettled(count: () => number): Promise<void> {
  let last = -1
  while (last !== count()) {
    last = count()
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** True when `promise` is still pending once everything queued so far has run. */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending')
  const first = await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise((resolve) => setImmediate(() => resolve(pending))),
  ])
  return first === pending
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}
