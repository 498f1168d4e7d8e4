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
  /** The peer's certificate (subject, issuer, validity, fingerprints…), or `undefined` when it sent none. */
  readonly peerCertificate: PeerCertificate | undefined
  /**
   * On a client: the session to give a later `connect({ tls: { session } })` to resume it. With TLS
   * 1.3 the server sends it after the handshake, so read it once data has arrived. `undefined` when
   * there is none yet.
   */
  readonly session: Buffer | undefined
}

/** @internal `conn.tls`, read from the socket when asked (the certificate is parsed on first use). */
export class SocketTlsInfo implements TlsInfo {
  private certificate: PeerCertificate | undefined | null = null

  constructor(private readonly socket: TLSSocket) {}

  get protocol(): string {
    return this.socket.getProtocol() ?? 'unknown'
  }

  get cipher(): string {
    const cipher = this.socket.getCipher()
    return cipher.standardName ?? cipher.name
  }

  get alpnProtocol(): string | false {
    return this.socket.alpnProtocol ?? false
  }

  get servername(): string | undefined {
    const name: unknown = (this.socket as { servername?: unknown }).servername
    return typeof name === 'string' && name !== '' ? name : undefined
  }

  get authorized(): boolean {
    return this.socket.authorized
  }

  get authorizationError(): string | undefined {
    const err: unknown = this.socket.authorizationError
    if (err === null || err === undefined) return undefined
    return err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err)
  }

  get peerCertificate(): PeerCertificate | undefined {
    if (this.certificate === null) {
      const cert = this.socket.getPeerCertificate()
      // Node.js returns an empty object when the peer sent none.
      this.certificate = cert !== null && Object.keys(cert).length > 0 ? cert : undefined
    }
    return this.certificate
  }

  get session(): Buffer | undefined {
    return this.socket.getSession()
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
