/**
 * The `tls` options of `connect()`, `listen()` and `startTls()`: their types, and the checks that
 * turn them into Node.js's before any socket exists. Certificates and keys are loaded here, once
 * (`tls.createSecureContext()`), so a bad PEM or a key that does not match its certificate throws at
 * the call, naming the option, and every connection then shares the loaded context.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import type { ConnectionOptions, SecureContext, SecureContextOptions, SecureVersion } from 'node:tls'
import { describeValue } from '../describe.js'
import { TLS_HANDSHAKE_TIMEOUT } from '../limits.js'
import { errorCode } from '../socket/translate-error.js'
import { validateBoolean, validateMs } from '../socket/validate.js'
import { cachedContext } from './context-cache.js'
import { loadTls, nodeTls } from './node-tls.js'

/**
 * PEM text or its bytes, or several of them. One PEM may hold several certificates: a certificate
 * chain (leaf first), or a bundle of CAs. An array gives several CAs, or for `cert`/`key`, several
 * key pairs (e.g. an RSA and an ECDSA one).
 */
export type Pem = string | Buffer | ReadonlyArray<string | Buffer>

/** TLS versions a peer may be held to at least. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3'

/** Options of a TLS client: `connect({ host, port, tls })` and `startTls(conn, options)`. */
export interface TlsConnectOptions {
  /** CA certificates to trust instead of Node.js's bundled list (PEM). @default Node.js's root CAs */
  ca?: Pem
  /** Our certificate chain, for a server that asks for one (mutual TLS), with `key`. */
  cert?: Pem
  /** The private key of `cert` (PEM). */
  key?: Pem
  /** Decrypts an encrypted `key`. */
  passphrase?: string
  /**
   * The server name sent in SNI and checked against the server's certificate.
   * @default `host` when it is a name (not an IP address); the certificate is then checked against `host`
   */
  servername?: string
  /**
   * Refuse a server whose certificate does not verify against `ca` or does not name the host.
   * `false` is for tests only: it accepts any server, including an attacker's. @default true
   */
  rejectUnauthorized?: boolean
  /** ALPN protocols to offer, most preferred first, e.g. `['h2', 'http/1.1']`. */
  alpnProtocols?: readonly string[]
  /** The lowest TLS version to accept. @default 'TLSv1.2' */
  minVersion?: TlsVersion
  /** A session from an earlier connection's `conn.tls.session`, to resume it (a shorter handshake). */
  session?: Buffer
}

/** A certificate and its key, for one server name (see {@link TlsListenOptions.sni}). */
export interface TlsCertificate {
  /** The certificate chain (PEM). */
  cert: Pem
  /** Its private key (PEM). */
  key: Pem
  /** Decrypts an encrypted `key`. */
  passphrase?: string
}

/** Options of a TLS server: `listen({ port, tls })`. */
export interface TlsListenOptions {
  /** The server's certificate chain (PEM), served when no `sni` entry matches. */
  cert: Pem
  /** The private key of `cert` (PEM). */
  key: Pem
  /** Decrypts an encrypted `key`. */
  passphrase?: string
  /** CA certificates client certificates must chain to (with `requestCert`). @default Node.js's root CAs */
  ca?: Pem
  /** Ask each client for a certificate (mutual TLS). @default false */
  requestCert?: boolean
  /**
   * With `requestCert`: refuse a client without a certificate that verifies against `ca` (the
   * connection is closed and reported to `onError` as `TlsError`). @default true
   */
  rejectUnauthorized?: boolean
  /** ALPN protocols the server speaks, most preferred first; a client offering none of them is refused. */
  alpnProtocols?: readonly string[]
  /**
   * Certificates by the server name a client asks for (SNI): exact names, or `*.example.com` for any
   * one label under it. A name without an entry gets `cert`/`key`.
   */
  sni?: Readonly<Record<string, TlsCertificate>>
  /**
   * Milliseconds a client has to complete its handshake; then it is closed and reported to `onError`
   * as `TimeoutError`. `0` means no limit. @default 10000
   */
  handshakeTimeout?: number
  /** The lowest TLS version to accept. @default 'TLSv1.2' */
  minVersion?: TlsVersion
}

/** `startTls()`'s options for the accepting side: the server options, with `isServer: true`. */
export interface StartTlsServerOptions extends TlsListenOptions {
  /** This side accepts the handshake (it was the server of the plain protocol, e.g. the SMTP server). */
  isServer: true
}

/** `startTls()`'s options for the connecting side: the client options. */
export interface StartTlsClientOptions extends TlsConnectOptions {
  /** This side starts the handshake. @default false */
  isServer?: false
}

/** Options of `startTls()`. */
export type StartTlsOptions = StartTlsClientOptions | StartTlsServerOptions

/** @internal What a TLS client needs, checked: Node.js's options for `tls.connect()`. */
export interface ClientTls {
  options: ConnectionOptions
}

/** @internal What a TLS server needs, checked. */
export interface ServerTls {
  /** Options for `new tls.Server()`: certificates, ALPN, SNI, client certificates. */
  options: import('node:tls').TlsOptions
  /** Milliseconds a handshake may take; 0 for no limit. */
  handshakeTimeout: number
}

const VERSIONS: ReadonlySet<string> = new Set<TlsVersion>(['TLSv1.2', 'TLSv1.3'])

const CLIENT_KEYS: ReadonlySet<string> = new Set([
  'ca',
  'cert',
  'key',
  'passphrase',
  'servername',
  'rejectUnauthorized',
  'alpnProtocols',
  'minVersion',
  'session',
])

const SERVER_KEYS: ReadonlySet<string> = new Set([
  'ca',
  'cert',
  'key',
  'passphrase',
  'requestCert',
  'rejectUnauthorized',
  'alpnProtocols',
  'sni',
  'handshakeTimeout',
  'minVersion',
])

/**
 * Checks a client's `tls` option (`true` or an object) and loads its certificates. `host` is where
 * the connection goes: its name is the default `servername`.
 */
export async function validateClientTls(
  fn: string,
  value: unknown,
  host: string | undefined,
): Promise<ClientTls> {
  await loadTls()
  if (value === true) value = {}
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`${fn}: tls must be true or an object of TLS options, got ${describeValue(value)}`)
  }
  const tls = value as Record<string, unknown>
  rejectUnknown(fn, tls, CLIENT_KEYS)
  const servername = optionalString(fn, 'tls.servername', tls.servername)
  const rejectUnauthorized = validateBoolean(fn, 'tls.rejectUnauthorized', tls.rejectUnauthorized) ?? true
  const alpn = validateAlpn(fn, tls.alpnProtocols)
  const session = tls.session
  if (session !== undefined && !Buffer.isBuffer(session)) {
    throw new TypeError(
      `${fn}: tls.session must be a Buffer (an earlier conn.tls.session), got ${describeValue(session)}`,
    )
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new TypeError(`${fn}: tls.cert and tls.key go together: give both or neither`)
  }
  const contextOptions: SecureContextOptions = {
    ...pemOption(fn, 'tls.ca', tls.ca),
    ...pemOption(fn, 'tls.cert', tls.cert),
    ...pemOption(fn, 'tls.key', tls.key),
    ...passphraseOption(fn, 'tls.passphrase', tls.passphrase),
    minVersion: validateVersion(fn, tls.minVersion),
  }
  // Loaded (and its CAs checked) at the first connection that uses these PEMs, then shared.
  const secureContext = cachedContext(contextOptions, () => {
    caOption(fn, 'tls.ca', tls.ca)
    return loadContext(fn, 'tls', contextOptions)
  })
  // SNI carries names only (RFC 6066 §3): to an IP address no server name is sent, and the
  // certificate is checked against the address.
  const name = servername ?? (host !== undefined && isIP(host) === 0 ? host : undefined)
  return {
    options: {
      secureContext,
      rejectUnauthorized,
      ...(name === undefined ? {} : { servername: name }),
      ...(alpn === undefined ? {} : { ALPNProtocols: [...alpn] }),
      ...(session === undefined ? {} : { session }),
    },
  }
}

/** Checks a server's `tls` option and loads its certificates (and those of every `sni` name). */
export async function validateServerTls(fn: string, value: unknown): Promise<ServerTls> {
  await loadTls()
  if (value === null || typeof value !== 'object') {
    throw new TypeError(
      `${fn}: tls must be an object with at least cert and key, got ${describeValue(value)}`,
    )
  }
  const tls = value as Record<string, unknown>
  rejectUnknown(fn, tls, SERVER_KEYS)
  if (tls.cert === undefined || tls.key === undefined) {
    throw new TypeError(`${fn}: tls.cert and tls.key are required to serve TLS`)
  }
  const requestCert = validateBoolean(fn, 'tls.requestCert', tls.requestCert) ?? false
  const rejectUnauthorized = validateBoolean(fn, 'tls.rejectUnauthorized', tls.rejectUnauthorized) ?? true
  const alpn = validateAlpn(fn, tls.alpnProtocols)
  const handshakeTimeout =
    validateMs(fn, 'tls.handshakeTimeout', tls.handshakeTimeout) ?? TLS_HANDSHAKE_TIMEOUT
  const minVersion = validateVersion(fn, tls.minVersion)
  const contextOptions: SecureContextOptions = {
    ...caOption(fn, 'tls.ca', tls.ca),
    ...pemOption(fn, 'tls.cert', tls.cert),
    ...pemOption(fn, 'tls.key', tls.key),
    ...passphraseOption(fn, 'tls.passphrase', tls.passphrase),
    minVersion,
  }
  // Loaded once here to refuse a bad PEM at the call; `tls.Server` loads its own from the same options.
  loadContext(fn, 'tls', contextOptions)
  const sni = validateSni(fn, tls.sni, minVersion)
  return {
    handshakeTimeout,
    options: {
      ...contextOptions,
      requestCert,
      rejectUnauthorized,
      // Node.js's own timer emits an error and leaves the socket open; the acceptor keeps its own.
      handshakeTimeout: 0,
      ...(alpn === undefined ? {} : { ALPNProtocols: [...alpn] }),
      ...(sni === undefined ? {} : { SNICallback: sni }),
    },
  }
}

/** The `sni` table as Node.js's `SNICallback`: exact names first, then `*.` wildcards (one label). */
function validateSni(
  fn: string,
  value: unknown,
  minVersion: SecureVersion,
): ((servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void) | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object') {
    throw new TypeError(
      `${fn}: tls.sni must be an object of { [serverName]: { cert, key } }, got ${describeValue(value)}`,
    )
  }
  const exact = new Map<string, SecureContext>()
  const wildcard = new Map<string, SecureContext>()
  for (const [name, entry] of Object.entries(value)) {
    const where = `tls.sni[${JSON.stringify(name)}]`
    const lower = name.toLowerCase()
    const isWildcard = lower.startsWith('*.')
    const base = isWildcard ? lower.slice(2) : lower
    if (base === '' || base.includes('*') || !/^[a-z0-9.-]+$/.test(base)) {
      throw new TypeError(
        `${fn}: ${where}: a server name must be a DNS name or *.name (one wildcard, leftmost), got ${JSON.stringify(name)}`,
      )
    }
    if (entry === null || typeof entry !== 'object') {
      throw new TypeError(`${fn}: ${where} must be an object with cert and key, got ${describeValue(entry)}`)
    }
    const e = entry as Record<string, unknown>
    if (e.cert === undefined || e.key === undefined) {
      throw new TypeError(`${fn}: ${where} needs both cert and key`)
    }
    const ctx = loadContext(fn, where, {
      ...pemOption(fn, `${where}.cert`, e.cert),
      ...pemOption(fn, `${where}.key`, e.key),
      ...passphraseOption(fn, `${where}.passphrase`, e.passphrase),
      minVersion,
    })
    ;(isWildcard ? wildcard : exact).set(base, ctx)
  }
  return (servername, cb) => {
    const name = servername.toLowerCase()
    const dot = name.indexOf('.')
    const ctx = exact.get(name) ?? (dot > 0 ? wildcard.get(name.slice(dot + 1)) : undefined)
    // No entry: undefined keeps the default certificate.
    cb(null, ctx)
  }
}

function rejectUnknown(fn: string, tls: Record<string, unknown>, known: ReadonlySet<string>): void {
  for (const key of Object.keys(tls)) {
    if (!known.has(key)) {
      throw new TypeError(`${fn}: unknown TLS option tls.${key} (known: ${[...known].join(', ')})`)
    }
  }
}

function optionalString(fn: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${fn}: ${name} must be a non-empty string, got ${describeValue(value)}`)
  }
  return value
}

function validateVersion(fn: string, value: unknown): SecureVersion {
  if (value === undefined) return 'TLSv1.2'
  if (typeof value === 'string' && VERSIONS.has(value)) return value as TlsVersion
  throw new TypeError(`${fn}: tls.minVersion must be 'TLSv1.2' or 'TLSv1.3', got ${describeValue(value)}`)
}

function validateAlpn(fn: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(
      `${fn}: tls.alpnProtocols must be a non-empty array of protocol names, got ${describeValue(value)}`,
    )
  }
  for (const p of value) {
    // Each name is one length-prefixed entry of at most 255 bytes (RFC 7301 §3.1).
    if (typeof p !== 'string' || p === '' || Buffer.byteLength(p) > 255) {
      throw new TypeError(
        `${fn}: tls.alpnProtocols entries must be strings of 1 to 255 bytes, got ${describeValue(p)}`,
      )
    }
  }
  return value as string[]
}

function pemOption(
  fn: string,
  name: string,
  value: unknown,
): Partial<Record<string, string | Buffer | (string | Buffer)[]>> {
  if (value === undefined) return {}
  const isPem = (v: unknown): v is string | Buffer => typeof v === 'string' || Buffer.isBuffer(v)
  if (isPem(value)) return { [name.slice(name.lastIndexOf('.') + 1)]: value }
  if (Array.isArray(value) && value.length > 0 && value.every(isPem)) {
    return { [name.slice(name.lastIndexOf('.') + 1)]: [...value] }
  }
  throw new TypeError(
    `${fn}: ${name} must be PEM text, a Buffer, or a non-empty array of them, got ${describeValue(value)}`,
  )
}

function passphraseOption(fn: string, name: string, value: unknown): { passphrase?: string } {
  if (value === undefined) return {}
  if (typeof value !== 'string') {
    throw new TypeError(`${fn}: ${name} must be a string, got ${describeValue(value)}`)
  }
  return { passphrase: value }
}

/**
 * `ca`: as {@link pemOption}, and each must hold at least one certificate that parses (OpenSSL
 * skips what is not PEM without a word, which would leave a server trusting nothing it was told to).
 */
function caOption(fn: string, name: string, value: unknown): ReturnType<typeof pemOption> {
  const option = pemOption(fn, name, value)
  if (value === undefined) return option
  for (const pem of [value].flat()) {
    const text = Buffer.isBuffer(pem) ? pem.toString('latin1') : String(pem)
    const blocks = text.match(
      /-----BEGIN (?:TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:TRUSTED )?CERTIFICATE-----/g,
    )
    if (blocks === null) {
      throw new TypeError(`${fn}: ${name} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`)
    }
    for (const block of blocks) {
      try {
        new X509Certificate(block)
      } catch (err) {
        throw new TypeError(`${fn}: ${name} holds a certificate that does not parse: ${messageOf(err)}`, {
          cause: err,
        })
      }
    }
  }
  return option
}

/**
 * Loads certificates and keys into a context, turning OpenSSL's refusal into a `TypeError` that
 * names the option at fault: the key (or its passphrase), the certificate, or the two not matching.
 */
function loadContext(fn: string, where: string, options: SecureContextOptions): SecureContext {
  try {
    return nodeTls().createSecureContext(options)
  } catch (err) {
    throw new TypeError(`${fn}: ${culprit(where, options)}: ${messageOf(err)}`, { cause: err })
  }
}

/** Which option made `createSecureContext(options)` fail: each is tried alone. */
function culprit(where: string, options: SecureContextOptions): string {
  const fails = (alone: SecureContextOptions): boolean => {
    try {
      nodeTls().createSecureContext(alone)
      return false
    } catch {
      return true
    }
  }
  const { key, passphrase, cert } = options
  if (key !== undefined && fails({ key, ...(passphrase === undefined ? {} : { passphrase }) })) {
    return `${where}.key could not be loaded${passphrase === undefined ? ` (encrypted? give ${where}.passphrase)` : ` (or ${where}.passphrase is wrong)`}`
  }
  if (cert !== undefined && fails({ cert })) return `${where}.cert could not be loaded`
  if (cert !== undefined && key !== undefined) return `${where}.cert and ${where}.key do not match`
  return `${where}: the certificates could not be loaded`
}

function messageOf(err: unknown): string {
  const code = errorCode(err)
  const message = err instanceof Error ? err.message : String(err)
  return code === undefined ? message : `${message} (${code})`
}
