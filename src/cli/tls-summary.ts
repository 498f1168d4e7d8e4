import type { TlsInfo } from 'it-socket'

type Certificate = NonNullable<TlsInfo['peerCertificate']>

/**
 * What TLS negotiated, for one `--verbose` line: `TLSv1.3, cipher TLS_AES_256_GCM_SHA384, ALPN h2,
 * server certificate "CN=localhost" issued by "CN=it-socket test CA" (verified)`. `peer` names the
 * other side: the server for `connect`, a client for `listen`.
 */
export function tlsSummary(info: TlsInfo, peer: 'server' | 'client'): string {
  const alpn = info.alpnProtocol === false ? 'no ALPN' : `ALPN ${info.alpnProtocol}`
  return `${info.protocol}, cipher ${info.cipher}, ${alpn}, ${certificateSummary(info, peer)}`
}

function certificateSummary(info: TlsInfo, peer: 'server' | 'client'): string {
  const cert = info.peerCertificate
  if (cert === undefined) return `no ${peer} certificate`
  const verified = info.authorized
    ? 'verified'
    : `not verified: ${info.authorizationError ?? 'no certificate was asked for'}`
  return `${peer} certificate "${distinguishedName(cert.subject)}" issued by "${distinguishedName(cert.issuer)}" (${verified})`
}

/**
 * A subject or issuer as `O=Example, CN=example.com`, in the order Node.js lists the fields; a field
 * with several values (Node.js gives an array) shows them joined by `+`.
 */
function distinguishedName(name: Certificate['subject'] | undefined): string {
  if (name === undefined) return ''
  return Object.entries(name)
    .map(
      ([field, value]: [string, unknown]) =>
        `${field}=${Array.isArray(value) ? value.join('+') : String(value)}`,
    )
    .join(', ')
}
