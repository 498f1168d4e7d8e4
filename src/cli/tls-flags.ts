import { readFileSync } from 'node:fs'
import type { TlsConnectOptions, TlsListenOptions } from 'it-socket'
import type { Target } from './target.js'
import { quote, UsageError } from './usage-error.js'

/** The TLS options of `it-socket listen`, for `util.parseArgs`. */
export const LISTEN_TLS_OPTIONS = {
  tls: { type: 'boolean' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  'require-client-cert': { type: 'boolean' },
  alpn: { type: 'string' },
} as const

/** The TLS options of `it-socket connect`, for `util.parseArgs`. */
export const CONNECT_TLS_OPTIONS = {
  tls: { type: 'boolean' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  servername: { type: 'string' },
  alpn: { type: 'string' },
  insecure: { type: 'boolean' },
} as const

/** The TLS flags as `util.parseArgs` returns them (each command has some of them). */
export interface TlsFlags {
  tls?: boolean
  cert?: string
  key?: string
  ca?: string
  'require-client-cert'?: boolean
  alpn?: string
  servername?: string
  insecure?: boolean
}

/** TLS options for the library, with the files they were read from (for messages). */
export interface TlsSetup<T> {
  options: T
  /** The file flags as given, e.g. `--cert "server.pem" --key "server-key.pem"`. */
  files: string
}

/** Every TLS flag: the first one given, in this order, is the one a usage error names. */
const FLAGS = ['tls', 'cert', 'key', 'ca', 'require-client-cert', 'servername', 'alpn', 'insecure'] as const

/**
 * `listen --tls --cert FILE --key FILE [--ca FILE --require-client-cert] [--alpn LIST]`: the
 * library's `tls` option, with the files read now (before anything is bound), or `undefined`
 * without `--tls`. TLS flags without `--tls` are a usage error: whether a server speaks TLS is
 * never implied.
 * @throws {UsageError} for a missing, unreadable or non-PEM file, or flags that do not go together
 */
export function listenTls(flags: TlsFlags, target: Target): TlsSetup<TlsListenOptions> | undefined {
  if (!tlsRequested('listen', flags, target)) return undefined
  if (flags.cert === undefined || flags.key === undefined) {
    throw new UsageError(
      `--tls needs --cert FILE and --key FILE: the server's certificate and its key`,
      'listen',
    )
  }
  const requireClientCert = flags['require-client-cert'] === true
  if (requireClientCert && flags.ca === undefined) {
    throw new UsageError(
      '--require-client-cert needs --ca FILE: the CA that signs the client certificates',
      'listen',
    )
  }
  if (!requireClientCert && flags.ca !== undefined) {
    throw new UsageError(
      '--ca on listen is the CA that signs client certificates: give --require-client-cert too',
      'listen',
    )
  }
  const alpn = alpnProtocols('listen', flags.alpn)
  return {
    options: {
      cert: readPem('listen', 'cert', flags.cert),
      key: readPem('listen', 'key', flags.key),
      ...(flags.ca === undefined ? {} : { ca: readPem('listen', 'ca', flags.ca) }),
      ...(requireClientCert ? { requestCert: true } : {}),
      ...(alpn === undefined ? {} : { alpnProtocols: alpn }),
    },
    files: describeFiles(flags),
  }
}

/**
 * `connect --tls [--ca FILE] [--cert FILE --key FILE] [--servername NAME] [--alpn LIST] [--insecure]`:
 * the library's `tls` option, with the files read now, or `undefined` without `--tls`.
 * @throws {UsageError} for a missing, unreadable or non-PEM file, or flags that do not go together
 */
export function connectTls(flags: TlsFlags, target: Target): TlsSetup<TlsConnectOptions> | undefined {
  if (!tlsRequested('connect', flags, target)) return undefined
  if ((flags.cert === undefined) !== (flags.key === undefined)) {
    throw new UsageError('--cert and --key go together: give both or neither', 'connect')
  }
  const insecure = flags.insecure === true
  if (insecure && flags.ca !== undefined) {
    throw new UsageError(
      '--insecure skips verifying the server, so --ca would not be used: give one of them',
      'connect',
    )
  }
  if (flags.servername === '') throw new UsageError('--servername: the name is empty', 'connect')
  const alpn = alpnProtocols('connect', flags.alpn)
  return {
    options: {
      ...(flags.ca === undefined ? {} : { ca: readPem('connect', 'ca', flags.ca) }),
      ...(flags.cert === undefined ? {} : { cert: readPem('connect', 'cert', flags.cert) }),
      ...(flags.key === undefined ? {} : { key: readPem('connect', 'key', flags.key) }),
      ...(flags.servername === undefined ? {} : { servername: flags.servername }),
      ...(alpn === undefined ? {} : { alpnProtocols: alpn }),
      ...(insecure ? { rejectUnauthorized: false } : {}),
    },
    files: describeFiles(flags),
  }
}

/** Under `--udp`: every TLS flag is a usage error (TLS runs over TCP; there is no DTLS here). */
export function rejectTlsFlags(command: string, flags: TlsFlags): void {
  const given = firstFlag(flags)
  if (given !== undefined) {
    throw new UsageError(`--${given} does not apply to --udp: TLS runs over TCP only`, command)
  }
}

/**
 * The error to report when `listen()` or `connect()` refused the TLS options: a `TypeError` there
 * means the files were read and look like PEM, but OpenSSL could not load them (e.g. a key that
 * does not match its certificate): a usage error naming the files. Anything else is returned as is.
 */
export function tlsLoadError(err: unknown, setup: TlsSetup<unknown> | undefined, command: string): unknown {
  if (setup === undefined || !(err instanceof TypeError)) return err
  return new UsageError(`cannot use ${setup.files}: ${err.message}`, command)
}

/** True with `--tls`; TLS flags without it, and `--tls` with `--unix`, are usage errors. */
function tlsRequested(command: string, flags: TlsFlags, target: Target): boolean {
  if (flags.tls !== true) {
    const given = firstFlag(flags)
    if (given !== undefined) throw new UsageError(`--${given} needs --tls`, command)
    return false
  }
  if (target.path !== undefined) {
    throw new UsageError('--tls needs a TCP address: it cannot be combined with --unix', command)
  }
  return true
}

function firstFlag(flags: TlsFlags): string | undefined {
  return FLAGS.find((flag) => flags[flag] !== undefined)
}

/**
 * `--alpn h2,http/1.1`: protocol names separated by commas, most preferred first. Each is sent as a
 * length-prefixed entry of at most 255 bytes (RFC 7301 §3.1).
 */
function alpnProtocols(command: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined
  const names = text.split(',')
  if (names.some((name) => name === '' || Buffer.byteLength(name) > 255)) {
    throw new UsageError(
      `bad --alpn ${quote(text)}: expected protocol names of 1 to 255 bytes separated by commas, e.g. h2,http/1.1`,
      command,
    )
  }
  return names
}

/** What each file flag must hold: the PEM block that makes it what it claims to be. */
const PEM_BLOCKS = {
  cert: { pattern: /-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----/, label: 'CERTIFICATE' },
  ca: { pattern: /-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----/, label: 'CERTIFICATE' },
  key: { pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/, label: 'PRIVATE KEY' },
} as const

/**
 * Reads a PEM file given to `--cert`, `--key` or `--ca`. The library would load a certificate file
 * given as `--key` (or a key as `--ca`, or a DER file) only to refuse it without naming the file, or,
 * for `--ca`, quietly trust nothing: a look for the expected PEM block names the file instead.
 * @throws {UsageError} for a missing or unreadable file, one without that block, or an encrypted key
 */
function readPem(command: string, flag: keyof typeof PEM_BLOCKS, path: string): Buffer {
  if (path === '') throw new UsageError(`--${flag}: the file name is empty`, command)
  let pem: Buffer
  try {
    pem = readFileSync(path)
  } catch (err) {
    throw new UsageError(`cannot read --${flag} ${quote(path)}: ${systemMessage(err)}`, command)
  }
  const text = pem.toString('latin1')
  const { pattern, label } = PEM_BLOCKS[flag]
  if (!pattern.test(text)) {
    throw new UsageError(
      `--${flag} ${quote(path)} is not a PEM ${flag === 'key' ? 'private key' : 'certificate'} (no "-----BEGIN ${label}-----" line)`,
      command,
    )
  }
  if (
    flag === 'key' &&
    (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text) || /Proc-Type: 4,ENCRYPTED/.test(text))
  ) {
    throw new UsageError(
      `--key ${quote(path)} is encrypted: give an unencrypted key (openssl pkey -in KEY -out PLAIN-KEY)`,
      command,
    )
  }
  return pem
}

/**
 * Node.js's message for a file system error without the call and path it ends with (`ENOENT: no
 * such file or directory, open 'x.pem'` → `ENOENT: no such file or directory`): the usage message
 * quotes the path itself, escaped.
 */
function systemMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const { syscall } = err as NodeJS.ErrnoException
  if (syscall === undefined) return err.message
  const end = err.message.lastIndexOf(`, ${syscall}`)
  return end < 0 ? err.message : err.message.slice(0, end)
}

function describeFiles(flags: TlsFlags): string {
  return (['cert', 'key', 'ca'] as const)
    .flatMap((flag) => {
      const path = flags[flag]
      return path === undefined ? [] : [`--${flag} ${quote(path)}`]
    })
    .join(' ')
}
