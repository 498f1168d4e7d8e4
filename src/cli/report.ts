import { ItSocketError, ProxyProtocolError, TlsError } from 'it-socket'

/** What a person can do about an error, by its `code`. */
const HINTS: Record<string, string> = {
  ERR_CONNECTION_REFUSED: 'is the server running?',
  ERR_ADDRESS_IN_USE: 'is another server running there? pick another port, or 0 for a free one',
  ERR_FRAME_TOO_LONG: 'the peer sent a frame larger than the framing allows',
}

const UNTRUSTED_CA = 'the certificate is signed by a CA not trusted here: give that CA with --ca FILE'

/**
 * What a person can do about a failed TLS handshake, by its `reason`. Worded for either end where
 * the reason can come up at either (a server checking a client's certificate uses `--ca` too).
 */
const TLS_HINTS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed: trust it with --ca FILE',
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED_CA,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED_CA,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED_CA,
  ERR_TLS_CERT_ALTNAME_INVALID:
    'the certificate is for other names: connect to one of them, or check it with --servername NAME',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    'the server asks for a client certificate: give --cert and --key',
  // BoringSSL's name for the same alert (Bun's node:tls).
  ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED: 'the server asks for a client certificate: give --cert and --key',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    'the client sent no certificate, and --require-client-cert asks for one',
  ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL: 'no --alpn protocol in common',
  ERR_SSL_NO_APPLICATION_PROTOCOL: 'no --alpn protocol in common',
  ERR_SSL_WRONG_VERSION_NUMBER: 'does the peer speak TLS?',
  ERR_SSL_HTTP_REQUEST: 'the client speaks plain HTTP, not TLS',
}

/** What a person can do about a refused PROXY header, by its `reason`. */
const PROXY_HINTS: Record<string, string> = {
  UNTRUSTED_PEER: 'its address is not in --trusted',
}

/**
 * One line for a person: the error's message (it-socket's messages name the address or the limit;
 * TLS's also the reason), plus a hint for the errors people hit most. Node.js system errors without
 * a message of their own get their code.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const message = firstLine(err.message) || err.name
  if (err instanceof ProxyProtocolError) {
    // The class and reason, as a TLS failure's line has its reason: what to grep for in a log.
    const hint = PROXY_HINTS[err.reason]
    return `${message} (${err.name} ${err.reason}${hint === undefined ? '' : `: ${hint}`})`
  }
  if (err instanceof ItSocketError) {
    const hint = err instanceof TlsError ? TLS_HINTS[err.reason] : HINTS[err.code]
    return hint === undefined ? message : `${message} (${hint})`
  }
  const code = (err as NodeJS.ErrnoException).code
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message
}

/**
 * The text printed for a failure: the one line of {@link describeError}, or, when `verbose`, the
 * stack and every `cause` below it.
 */
export function formatError(err: unknown, verbose: boolean): string {
  const line = describeError(err)
  if (!verbose || !(err instanceof Error)) return line
  const parts = [line, err.stack ?? '']
  for (let cause = err.cause, depth = 0; cause !== undefined && depth < 5; depth++) {
    parts.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`)
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return parts.join('\n')
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n')
  return newline < 0 ? text : text.slice(0, newline)
}
