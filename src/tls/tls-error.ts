import { TlsError } from '../errors.js'

/**
 * OpenSSL's certificate verification results, as Node.js names them (`X509_V_ERR_*` without the
 * prefix): a client's `'error'`, a server's `authorizationError`.
 */
const VERIFY_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
])

/** The `code` of a Node.js error (kept here too: translate-error.ts imports this module). */
function errorCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/** True for an error of TLS itself (verification, an alert, a protocol error), not of the socket. */
export function isTlsFailure(err: unknown): boolean {
  const code = errorCode(err)
  if (code === undefined) return false
  return (
    VERIFY_CODES.has(code) ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_OSSL_')
  )
}

/**
 * The `TlsError` for a failure with `peer`: `reason` is the error's code (or the verification result
 * given), the message names the peer and the reason, the original error is the `cause`.
 */
export function tlsError(
  err: unknown,
  peer: string,
  during: 'handshake' | 'connection',
  reason: string | undefined = errorCode(err),
): TlsError {
  if (err instanceof TlsError) return err
  const why = reason ?? 'UNKNOWN'
  const detail = err instanceof Error && err.message !== why ? `: ${describe(err.message)}` : ''
  const message =
    during === 'handshake'
      ? `TLS handshake with ${peer} failed (${why})${detail}`
      : `TLS connection with ${peer} failed (${why})${detail}`
  return new TlsError(message, why, { cause: err })
}

/** OpenSSL's messages carry a location (`…:ssl/record/rec_layer_s3.c:1601:SSL alert number 116`): keep what reads. */
function describe(message: string): string {
  const m = /:SSL routines:[^:]*:([^:]+):/.exec(message)
  if (m === null) return message
  const alert = /SSL alert number (\d+)/.exec(message)
  return alert === null ? (m[1] as string) : `${m[1]} (alert ${alert[1]})`
}
