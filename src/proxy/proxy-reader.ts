/**
 * The server side of the PROXY protocol: reads the header a trusted proxy (HAProxy, nginx, AWS NLB)
 * sends first on each connection, before the connection is handed out. Untrusted peers are closed
 * without a byte read; a header that is bad (as soon as it is seen to be), missing or late closes
 * its connection and is reported; the bytes that came after the header in the same segment are put
 * back in front of the socket's stream, intact.
 *
 * @module
 */
import { BlockList, isIPv4, isIPv6, type Socket } from 'node:net'
import { describeValue } from '../describe.js'
import { ProxyProtocolError } from '../errors.js'
import { PROXY_HEADER_TIMEOUT } from '../limits.js'
import { validateMs } from '../socket/validate.js'
import { ProxyHeaderParser, type ProxyParseResult } from './proxy-header.js'
import type { ProxyHeader } from './types.js'

/** Options of `listen({ proxyProtocol })`. */
export interface ProxyProtocolOptions {
  /**
   * Who may send a PROXY header: CIDR blocks (`'10.0.0.0/8'`, `'::1/128'`; a bare address is one
   * host), or a function of the peer's address. A connection from anyone else is closed unread.
   * @default loopback only (`127.0.0.0/8`, `::1/128`)
   */
  trusted?: readonly string[] | ((address: string) => boolean)
  /** Header versions accepted. @default [1, 2] */
  versions?: ReadonlyArray<1 | 2>
  /** Milliseconds to wait for the whole header; `0` means no limit. @default 5000 */
  timeout?: number
}

/** @internal The checked options. */
export interface ProxySettings {
  trusted: (address: string) => boolean
  versions: ReadonlyArray<1 | 2>
  timeout: number
}

/** @internal What the reader tells the server about each connection. */
export interface ProxyReaderEvents {
  /** The header arrived (the socket is paused, the bytes after the header put back). */
  onHeader(socket: Socket, header: ProxyHeader): void
  /** Refused, bad, late or gone: the socket is closed already. */
  onFailure(err: Error): void
  /**
   * How messages name the socket's peer. Asked only when there is a message to write: the name is
   * not built for the connections that never fail (the socket keeps its address once read).
   */
  peerOf(socket: Socket): string
}

/** Checks `listen()`'s `proxyProtocol` option (`true` means trust loopback only). */
export function validateProxyProtocol(fn: string, value: unknown): ProxySettings | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) value = {}
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`${fn}: proxyProtocol must be true or an object, got ${describeValue(value)}`)
  }
  const options = value as Record<string, unknown>
  for (const key of Object.keys(options)) {
    if (key !== 'trusted' && key !== 'versions' && key !== 'timeout') {
      throw new TypeError(`${fn}: unknown option proxyProtocol.${key} (known: trusted, versions, timeout)`)
    }
  }
  const versions = options.versions ?? [1, 2]
  if (!Array.isArray(versions) || versions.length === 0 || versions.some((v) => v !== 1 && v !== 2)) {
    throw new TypeError(
      `${fn}: proxyProtocol.versions must be a non-empty array of 1 and 2, got ${describeValue(versions)}`,
    )
  }
  return {
    trusted: trustedOf(fn, options.trusted ?? ['127.0.0.0/8', '::1/128']),
    versions: versions as Array<1 | 2>,
    timeout: validateMs(fn, 'proxyProtocol.timeout', options.timeout) ?? PROXY_HEADER_TIMEOUT,
  }
}

/** The `trusted` option as a predicate: a function as it is, CIDR blocks as a `BlockList`. */
function trustedOf(fn: string, trusted: unknown): (address: string) => boolean {
  if (typeof trusted === 'function') {
    return (address) => trusted(address) === true
  }
  if (!Array.isArray(trusted)) {
    throw new TypeError(
      `${fn}: proxyProtocol.trusted must be an array of CIDR blocks or a function, got ${describeValue(trusted)}`,
    )
  }
  const list = new BlockList()
  // IPv4 blocks also as (network, mask) pairs: checking an IPv4 peer (the common case) against them
  // costs a few integer operations, where BlockList.check() builds a SocketAddress each time.
  const v4: Array<[network: number, mask: number]> = []
  for (const cidr of trusted) {
    if (typeof cidr !== 'string') {
      throw new TypeError(`${fn}: proxyProtocol.trusted entries must be strings, got ${describeValue(cidr)}`)
    }
    const [address = '', bits, extra] = cidr.split('/')
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined
    const max = family === 'ipv4' ? 32 : 128
    const prefix = bits === undefined ? max : Number(bits)
    if (
      family === undefined ||
      extra !== undefined ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > max
    ) {
      throw new TypeError(
        `${fn}: proxyProtocol.trusted: ${JSON.stringify(cidr)} is not an address or a CIDR block (e.g. '10.0.0.0/8', '::1/128')`,
      )
    }
    list.addSubnet(address, prefix, family)
    if (family === 'ipv4') {
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
      v4.push([((ipv4ToInt(address) as number) & mask) >>> 0, mask])
    }
  }
  return (address) => {
    const ip = ipv4ToInt(address)
    if (ip === undefined) return list.check(address, 'ipv6')
    for (const [network, mask] of v4) if ((ip & mask) >>> 0 === network) return true
    return false
  }
}

/**
 * A dotted-quad IPv4 address as an unsigned 32-bit integer; `undefined` for anything else (an IPv6
 * address, including an IPv4-mapped one, which BlockList checks). Node.js gives peers' addresses in
 * canonical form, and the trusted list is checked with `isIPv4()` first.
 */
function ipv4ToInt(address: string): number | undefined {
  let value = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined
      value = value * 256 + part
      part = 0
      digits = 0
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48)
      digits++
      if (part > 255) return undefined
    } else return undefined
  }
  if (dots !== 3 || digits === 0) return undefined
  return value * 256 + part
}

/** @internal Reads the PROXY header of each accepted socket; see the module comment. */
export class ProxyReader {
  /** @internal Sockets whose header is awaited: they count against `maxPending`. */
  readonly reading = new Set<Socket>()

  constructor(
    /** @internal */ readonly settings: ProxySettings,
    /** @internal */ readonly events: ProxyReaderEvents,
  ) {}

  /** Connections whose header is awaited. */
  get size(): number {
    return this.reading.size
  }

  /** Starts reading the header of an accepted (paused) socket. */
  accept(socket: Socket): void {
    const address = socket.remoteAddress
    if (address === undefined) {
      // Reset before it was accepted (a load balancer's health check does that): nobody to read.
      socket.destroy()
      return
    }
    if (!this.settings.trusted(address)) {
      socket.destroy()
      this.events.onFailure(
        new ProxyProtocolError(
          `Connection from ${this.events.peerOf(socket)} closed unread: not a trusted proxy (proxyProtocol.trusted)`,
          'UNTRUSTED_PEER',
        ),
      )
      return
    }
    new HeaderRead(this, socket).start()
  }

  /** True once {@link stop} was called: failures are no longer reported. */
  stopped = false

  /** Cuts every header read in progress (the server is closing), without reporting them. */
  stop(): void {
    this.stopped = true
    for (const socket of this.reading) socket.destroy()
    this.reading.clear()
  }
}

/** One socket's header read: the bytes so far, the timer, the listeners. */
class HeaderRead {
  /** The bytes so far: the first chunk as it came, then a view of `store`. */
  private received: Uint8Array = new Uint8Array(0)
  /**
   * Where the chunks after the first are gathered, grown by doubling: a header sent in many small
   * segments costs each byte one copy, not one per segment after it (v2 allows 65,551 bytes).
   */
  private store: Buffer | undefined
  /** Remembers how far it got: each chunk costs its own bytes, not the whole header again. */
  private readonly parser: ProxyHeaderParser
  private timer: NodeJS.Timeout | undefined
  private done = false

  constructor(
    private readonly reader: ProxyReader,
    private readonly socket: Socket,
  ) {
    this.parser = new ProxyHeaderParser(reader.settings.versions)
  }

  /** The peer, as messages name it. */
  private get peer(): string {
    return this.reader.events.peerOf(this.socket)
  }

  start(): void {
    const { timeout } = this.reader.settings
    this.reader.reading.add(this.socket)
    if (timeout > 0) {
      this.timer = setTimeout(() => {
        this.fail(
          new ProxyProtocolError(
            `No complete PROXY header from ${this.peer} within ${timeout} ms (proxyProtocol.timeout)`,
            'TIMEOUT',
          ),
        )
      }, timeout)
    }
    this.socket.on('data', this.onData)
    this.socket.on('end', this.onGone)
    this.socket.on('error', this.onGone)
    this.socket.on('close', this.onGone)
    this.socket.resume()
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.done) return
    this.append(chunk)
    let result: ProxyParseResult
    try {
      result = this.parser.parse(this.received)
    } catch (err) {
      this.fail(
        err instanceof ProxyProtocolError
          ? new ProxyProtocolError(`Bad PROXY header from ${this.peer}: ${err.message}`, err.reason, {
              cause: err,
            })
          : (err as Error),
      )
      return
    }
    if (result.status === 'incomplete') return
    this.finish()
    this.socket.pause()
    const rest = this.received.subarray(result.length)
    // What came after the header is the connection's first bytes: back in front of its stream.
    if (rest.length > 0) this.socket.unshift(rest)
    this.reader.events.onHeader(this.socket, result.header)
  }

  private append(chunk: Buffer): void {
    const had = this.received.length
    if (had === 0) {
      this.received = chunk
      return
    }
    const length = had + chunk.length
    if (this.store === undefined || length > this.store.length) {
      const grown = Buffer.allocUnsafe(Math.max(length, 2 * (this.store?.length ?? had)))
      grown.set(this.received)
      this.store = grown
    }
    this.store.set(chunk, had)
    this.received = this.store.subarray(0, length)
  }

  private readonly onGone = (err?: unknown): void => {
    if (this.done) return
    if (this.received.length === 0) {
      // Connected and left without a byte (a health check): no header was ever started.
      this.finish()
      this.socket.destroy()
      return
    }
    this.fail(
      new ProxyProtocolError(
        `Connection from ${this.peer} ended before its PROXY header was complete`,
        'CLOSED',
        err instanceof Error ? { cause: err } : undefined,
      ),
    )
  }

  /** Stops listening: the socket is no longer ours to read. */
  private finish(): void {
    this.done = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.socket.off('data', this.onData)
    this.socket.off('end', this.onGone)
    this.socket.off('error', this.onGone)
    this.socket.off('close', this.onGone)
    this.reader.reading.delete(this.socket)
  }

  private fail(err: Error): void {
    this.finish()
    this.socket.destroy()
    if (!this.reader.stopped) this.reader.events.onFailure(err)
  }
}
