import type { X509Certificate } from 'node:crypto'
import type { PeerCertificate, TLSSocket } from 'node:tls'

/** What was negotiated on a TLS connection: `conn.tls` (`undefined` on a plain connection). */
export interface TlsInfo {
  /** The TLS version, e.g. `'TLSv1.3'`. */
  readonly protocol: string
  /** The cipher suite's standard name, e.g. `'TLS_AES_256_GCM_SHA384'`. */
  readonly cipher: string
  /** The ALPN protocol both sides chose, or `false` when none was negotiated. */
  readonly alpnProtocol: string | false
  /**
   * The server name: on a client, the one sent in SNI; on a server, the one the client asked for.
   * `undefined` when none was sent (a connection to an IP address).
   */
  readonly servername: string | undefined
  /** The peer's certificate verified against the trusted CAs (a server without `requestCert`: `false`). */
  readonly authorized: boolean
  /** Why the peer's certificate did not verify (`undefined` when it did, or when none was asked for). */
  readonly authorizationError: string | undefined
  /**
   * The peer's certificate (subject, issuer, validity, fingerprints…), or `undefined` when it sent
   * none.
   */
  readonly peerCertificate: PeerCertificate | undefined
  /**
   * On a client: the session to give a later `connect({ tls: { session } })` to resume it. With TLS
   * 1.3 the server sends it after the handshake, so read it once data has arrived. `undefined` when
   * there is none yet.
   */
  readonly session: Buffer | undefined
}

/**
 * @internal `conn.tls`: what the handshake settled, read once it is done, since the socket forgets
 * it once closed (a few property reads, and the peer's certificate as an `X509Certificate`, which
 * parses only when asked: converting it to `PeerCertificate` costs tens of microseconds, so that
 * waits for the first read of `peerCertificate`).
 */
export class SocketTlsInfo implements TlsInfo {
  readonly protocol: string
  readonly cipher: string
  readonly alpnProtocol: string | false
  readonly servername: string | undefined
  readonly authorized: boolean
  readonly authorizationError: string | undefined
  /** The peer's certificate as sent (cheap to take: parsed when asked). */
  private readonly x509: X509Certificate | undefined
  private certificate: PeerCertificate | undefined
  private lastSession: Buffer | undefined

  constructor(private readonly socket: TLSSocket) {
    this.protocol = socket.getProtocol() ?? 'unknown'
    const cipher = socket.getCipher()
    this.cipher = cipher.standardName ?? cipher.name
    this.alpnProtocol = socket.alpnProtocol ?? false
    const name: unknown = (socket as { servername?: unknown }).servername
    this.servername = typeof name === 'string' && name !== '' ? name : undefined
    this.x509 = socket.getPeerX509Certificate()
    // TLS 1.3 sends sessions after the handshake: keep the last, Node.js forgets it once closed.
    socket.on('session', (session: Buffer) => {
      this.lastSession = session
    })
    this.authorized = socket.authorized
    const err: unknown = socket.authorizationError
    this.authorizationError =
      err === null || err === undefined
        ? undefined
        : err instanceof Error
          ? ((err as NodeJS.ErrnoException).code ?? err.message)
          : String(err)
  }

  get peerCertificate(): PeerCertificate | undefined {
    this.certificate ??= this.x509?.toLegacyObject()
    return this.certificate
  }

  get session(): Buffer | undefined {
    // Kept: Node.js returns nothing once the socket has closed.
    this.lastSession = this.socket.getSession() ?? this.lastSession
    return this.lastSession
  }

  /** For `console.log(conn.tls)` and JSON: the values, not the getters. */
  toJSON(): Omit<TlsInfo, 'session' | 'peerCertificate'> & { peerCertificate: string | undefined } {
    return {
      protocol: this.protocol,
      cipher: this.cipher,
      alpnProtocol: this.alpnProtocol,
      servername: this.servername,
      authorized: this.authorized,
      authorizationError: this.authorizationError,
      peerCertificate: subjectName(this.peerCertificate),
    }
  }
}

/** A certificate's subject common name, for logs. */
function subjectName(cert: PeerCertificate | undefined): string | undefined {
  const cn: string | string[] | undefined = cert?.subject?.CN
  return Array.isArray(cn) ? cn.join(', ') : cn
}
