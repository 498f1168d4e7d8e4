import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Connection, TlsInfo } from 'it-socket'
import type { Child } from '../cli/helpers.js'
import { peer } from './helpers.js'

// What the TLS interop tests (./tls-*.test.ts) share: the checked-in test certificates
// (test/fixtures/tls/, see generate.sh there), the openssl and socat peers started on loopback with
// the port they bound, and a collector for what an it-socket server reports to onError.

/** The folder of the test certificates, for peers that take file names. */
export const certDir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url))

/** The path of a test certificate or key, e.g. `certPath('ca.pem')`. */
export function certPath(name: string): string {
  return `${certDir}${name}`
}

/** The contents of a test certificate or key. */
export function pem(name: string): Buffer {
  return readFileSync(certPath(name))
}

/** A test certificate's SHA-256 fingerprint as Node.js prints it (`AB:CD:…`). */
export function fingerprint(name: string): string {
  return new X509Certificate(pem(name)).fingerprint256
}

/** The certificate and key an it-socket server or client presents, by the fixture's name (`server`). */
export function identity(name: string): { cert: Buffer; key: Buffer } {
  return { cert: pem(`${name}.pem`), key: pem(`${name}-key.pem`) }
}

/** A peer that listens, and the port it bound. */
export interface ListeningPeer {
  child: Child
  port: number
}

/**
 * `openssl s_server` on `host` (127.0.0.1, or ::1), on a port it picks (it prints
 * `ACCEPT 127.0.0.1:PORT` or `ACCEPT [::1]:PORT` once it listens). Its stdin stays open: without
 * one, s_server ends the session at stdin's end.
 */
export async function opensslServer(args: string[], host = '127.0.0.1'): Promise<ListeningPeer> {
  const accept = host.includes(':') ? `[${host}]` : host
  const child = peer('openssl', ['s_server', '-accept', `${accept}:0`, ...args])
  const match = await child.waitFor('stdout', /^ACCEPT (\S+):(\d+)$/m)
  if (match[1] !== accept) throw new Error(`s_server listens on ${match[1]}, not ${accept}`)
  return { child, port: Number(match[2]) }
}

/**
 * `openssl s_client` to 127.0.0.1:`port`. Its stdin stays open (write to it with `child.write`,
 * end it with {@link endInput}): it sends what it reads there and prints what it receives.
 */
export function opensslClient(port: number, args: string[]): Child {
  return peer('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args])
}

/** `socat -d -d` with an address that listens (`OPENSSL-LISTEN:0,…`), and the port it bound. */
export async function socatServer(args: string[]): Promise<ListeningPeer> {
  const child = peer('socat', ['-d', '-d', ...args])
  const match = await child.waitFor('stderr', /listening on AF=2 127\.0\.0\.1:(\d+)/)
  return { child, port: Number(match[1]) }
}

/** Ends a peer's stdin: openssl s_client with `-no_ign_eof` then closes the session and exits. */
export function endInput(child: Child): void {
  child.process.stdin?.end()
}

/** A peer's exit code (or signal), once it has exited; rejects if it is still running after `ms`. */
export async function exited(child: Child, ms = 10_000): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `still running after ${ms} ms: stdout ${JSON.stringify(child.stdout().slice(-500))}, stderr ${JSON.stringify(child.stderr().slice(-500))}`,
          ),
        ),
      ms,
    )
  })
  try {
    return await Promise.race([child.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

/** What an it-socket server reports to `onError`, in order, with a way to await the next report. */
export class Reports {
  readonly errors: Error[] = []
  private readonly waiters: Array<() => void> = []

  /** Give this as `listen({ onError })`. */
  readonly onError = (err: Error): void => {
    this.errors.push(err)
    for (const wake of this.waiters.splice(0)) wake()
  }

  /** Resolves with report number `n` (0-based) once it has come; rejects after `ms`. */
  async nth(n: number, ms = 10_000): Promise<Error> {
    const deadline = Date.now() + ms
    while (this.errors.length <= n) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting for onError report #${n}; got ${this.describe()}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.errors[n] as Error
  }

  /** The reports so far, for failure messages. */
  describe(): string {
    return JSON.stringify(this.errors.map((err) => `${err.name}: ${err.message}`))
  }
}

/** What a test reads off `conn.tls` inside a server's handler (the socket is gone after it). */
export interface TlsSeen {
  protocol: string
  alpnProtocol: string | false
  servername: string | undefined
  authorized: boolean
  authorizationError: string | undefined
  peerSubject: string | undefined
}

/** Reads what a test checks off a TLS connection, while it is open. */
export function tlsSeen(conn: Connection): TlsSeen {
  const tls: TlsInfo | undefined = conn.tls
  if (tls === undefined) throw new Error('not a TLS connection')
  const cn = tls.peerCertificate?.subject?.CN
  return {
    protocol: tls.protocol,
    alpnProtocol: tls.alpnProtocol,
    servername: tls.servername,
    authorized: tls.authorized,
    authorizationError: tls.authorizationError,
    peerSubject: Array.isArray(cn) ? cn.join(', ') : cn,
  }
}

/** Reads a connection to its end, as one buffer. */
export async function readToEnd(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of source) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}
