/**
 * Certificates and peers for the TLS tests. The peers that are not it-socket are node:tls itself
 * (Node.js's own TLS, not a mock), so each test can script the other side: its certificate, its
 * versions, what it saw of the handshake.
 */
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import {
  type TLSSocket,
  type TlsOptions,
  type Server as TlsServer,
  createServer as tlsCreateServer,
} from 'node:tls'
import {
  type Connection,
  type ErrorReporter,
  type ListenOptions,
  listen,
  pipe,
  type Server,
  TlsError,
  type TlsInfo,
  type TlsListenOptions,
} from 'it-socket'
import { expect } from 'vitest'
import { collectBytes, decoder, encoder } from '../helpers/bytes.js'
import { portOf, until } from '../helpers/net.js'

const fixtures = new URL('../fixtures/tls/', import.meta.url)

/** A PEM file of test/fixtures/tls (see generate.sh there), as text. */
export function pem(name: string): string {
  return readFileSync(new URL(name, fixtures), 'utf8')
}

/** The test certificates, by what they are for (see test/fixtures/tls/generate.sh). */
export const certs = {
  /** The test CA: trust it to accept server.pem, other.pem, expired.pem, client.pem. */
  ca: pem('ca.pem'),
  /** CN localhost; SAN localhost, 127.0.0.1, ::1; signed by the CA. */
  server: { cert: pem('server.pem'), key: pem('server-key.pem') },
  /** SAN other.test, *.example.test; signed by the CA. */
  other: { cert: pem('other.pem'), key: pem('other-key.pem') },
  /** CN it-socket test client, clientAuth; signed by the CA. */
  client: { cert: pem('client.pem'), key: pem('client-key.pem') },
  /** CN localhost; SAN localhost, 127.0.0.1; signed by itself. */
  selfSigned: { cert: pem('self-signed.pem'), key: pem('self-signed-key.pem') },
  /** CN localhost, valid 2000-01-01 to 2001-01-01; signed by the CA. */
  expired: { cert: pem('expired.pem'), key: pem('expired-key.pem') },
  /** A CA no test trusts. */
  otherCa: pem('other-ca.pem'),
  /** clientAuth, signed by other-ca: a client certificate no test server accepts. */
  rogueClient: { cert: pem('rogue-client.pem'), key: pem('rogue-client-key.pem') },
} as const

/** What a client needs to trust server.pem (and other.pem) and check its name, on 127.0.0.1. */
export const trustServer = { ca: certs.ca, servername: 'localhost' } as const

/** Errors a server reported to `onError`, and a way to wait for them. */
export interface Reports {
  errors: Error[]
  onError: ErrorReporter
  /** Resolves once `n` errors were reported in all. */
  count(n: number): Promise<void>
}

/** An `onError` that records (instead of printing to stderr). */
export function reports(): Reports {
  const errors: Error[] = []
  return {
    errors,
    onError: (err) => errors.push(err),
    count: (n) => until(() => errors.length >= n, 10_000, `${n} reported errors`),
  }
}

/** Awaits `promise`, expects it to reject with a TlsError, and returns that. */
export async function tlsFailure(promise: Promise<unknown>): Promise<TlsError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(TlsError)
  expect((err as TlsError).code).toBe('ERR_TLS')
  return err as TlsError
}

/** A node:tls server on 127.0.0.1 (a peer we did not write with it-socket). */
export interface NodeTlsPeer {
  port: number
  server: TlsServer
  /** The server's end of each connection whose handshake succeeded, in order. */
  secured: TLSSocket[]
  /** Handshake failures the server saw (`'tlsClientError'`). */
  clientErrors: Error[]
  close(): Promise<void>
}

/**
 * Starts a node:tls server on 127.0.0.1, port 0. `onSecure` runs for each connection once its
 * handshake is done (default: echo). Every socket is destroyed by `close()`.
 */
export async function nodeTlsServer(
  options: TlsOptions,
  onSecure: (socket: TLSSocket) => void = (socket) => socket.pipe(socket),
): Promise<NodeTlsPeer> {
  const secured: TLSSocket[] = []
  const clientErrors: Error[] = []
  const sockets = new Set<Socket>()
  const server = tlsCreateServer(options, (socket) => {
    secured.push(socket)
    socket.on('error', () => {}) // a client going away is part of some tests
    onSecure(socket)
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('tlsClientError', (err) => clientErrors.push(err))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('not a TCP server')
  return {
    port: address.port,
    server,
    secured,
    clientErrors,
    async close() {
      for (const socket of sockets) socket.destroy()
      const closed = once(server, 'close')
      server.close()
      await closed
    },
  }
}

/** TCP and TLS handles alive in this process, by kind (a leak never gets back to the count before). */
export function countResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) {
    if (/TCP|TLS/.test(kind)) counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}

/** An it-socket TLS server on 127.0.0.1 that echoes, with what it reported and whom it served. */
export interface EchoServer extends AsyncDisposable {
  server: Server
  port: number
  reports: Reports
  /** What `conn.tls` said on the server's end of each connection handed to the handler, in order. */
  served: TlsInfo[]
}

/**
 * `listen({ host: '127.0.0.1', tls, onError, ...options })` serving `pipe(conn, conn)`; `await using`
 * closes it and waits for `serve()` to end.
 */
export async function tlsEchoServer(
  tls: TlsListenOptions,
  options: Omit<ListenOptions, 'tls' | 'onError' | 'host' | 'path'> = {},
): Promise<EchoServer> {
  const r = reports()
  const server = await listen({ host: '127.0.0.1', ...options, tls, onError: r.onError })
  const served: TlsInfo[] = []
  const serving = server.serve((conn) => {
    if (conn.tls !== undefined) served.push(snapshot(conn.tls))
    return pipe(conn, conn)
  })
  return {
    server,
    port: portOf(server),
    reports: r,
    served,
    async [Symbol.asyncDispose]() {
      await server.close()
      await serving
    },
  }
}

/** The values of a `conn.tls`, read now (the getters read a live socket). */
export function snapshot(tls: TlsInfo): TlsInfo {
  return {
    protocol: tls.protocol,
    cipher: tls.cipher,
    alpnProtocol: tls.alpnProtocol,
    servername: tls.servername,
    authorized: tls.authorized,
    authorizationError: tls.authorizationError,
    peerCertificate: tls.peerCertificate,
    session: tls.session,
  }
}

/** Sends `text`, ends our side, and returns everything the peer sent back until its end. */
export async function roundTrip(conn: Connection, text: string): Promise<string> {
  const [, reply] = await Promise.all([conn.sink([encoder.encode(text)]), collectBytes(conn.source)])
  return decoder.decode(reply)
}
