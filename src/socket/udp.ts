import { createSocket, type RemoteInfo, type Socket, type SocketOptions, type SocketType } from 'node:dgram'
import { isIP } from 'node:net'
import type { Duplex, Source } from 'it-stream-types'
import { describeValue } from '../describe.js'
import { UDP_QUEUE_SIZE } from '../limits.js'
import { formatAddress, formatHostPort, type NetAddress } from './address.js'
import { abortedError, translateError } from './translate-error.js'
import { DatagramEndpoint, type EndpointInit, MAX_UDP4_PAYLOAD, MAX_UDP6_PAYLOAD } from './udp-endpoint.js'
import { validateBoolean, validateHost, validateOptions, validatePort, validateSignal } from './validate.js'
import { waitFor } from './wait-for.js'

/** The socket family: `udp4` (IPv4) or `udp6` (IPv6, which also reaches IPv4-mapped addresses). */
export type UdpType = 'udp4' | 'udp6'

/** One received datagram: its bytes, whole, and who sent it. */
export interface Datagram extends NetAddress {
  /** The datagram's payload, exactly as sent (possibly empty). */
  data: Uint8Array
}

/** One datagram for {@link DatagramSocket.sink}: a received {@link Datagram} is one too (an echo). */
export interface OutgoingDatagram {
  /** The payload: at most 65,507 bytes on a `udp4` socket, 65,527 on `udp6`. */
  data: Uint8Array
  /** The destination's IP address (or a host name, resolved for every datagram: prefer addresses). */
  address: string
  /** The destination port (1–65535). */
  port: number
}

/** Options of {@link udp.bind}. */
export interface UdpBindOptions {
  /** Port to bind (0–65535); `0` picks a free ephemeral port, see `address.port`. @default 0 */
  port?: number
  /** Address to bind. @default every interface: `0.0.0.0` for udp4, `::` for udp6 */
  host?: string
  /** Socket family. @default 'udp6' when `host` is an IPv6 address, otherwise 'udp4' */
  type?: UdpType
  /** Set `SO_REUSEADDR`, so several sockets may bind the same address (e.g. for multicast). @default false */
  reuseAddr?: boolean
  /**
   * Datagrams queued while nobody pulls `source`; past it, new datagrams are dropped and counted in
   * `dropped`. Bounds memory at `queueSize` × the largest datagram received.
   * @default UDP_QUEUE_SIZE (1,024 datagrams)
   */
  queueSize?: number
  /** Aborts the bind (rejecting with `AbortError`) and, once bound, the socket. */
  signal?: AbortSignal
}

/** Options of {@link udp.connect}. */
export interface UdpConnectOptions {
  /** The peer's host name or IP address. @default 'localhost' */
  host?: string
  /** The peer's port (1–65535). */
  port: number
  /** Socket family. @default 'udp6' when `host` is an IPv6 address, otherwise 'udp4' */
  type?: UdpType
  /**
   * Messages queued while nobody pulls `source`; past it, new ones are dropped and counted in `dropped`.
   * @default UDP_QUEUE_SIZE (1,024 datagrams)
   */
  queueSize?: number
  /** Aborts the connect (rejecting with `AbortError`) and, once connected, the socket. */
  signal?: AbortSignal
}

/**
 * A bound UDP socket as an async-iterable duplex: `source` yields every datagram received with its
 * sender's address, `sink` sends datagrams to the addresses they name, so `pipe(sock.source, sock.sink)`
 * is an echo server. One item is one datagram: boundaries are kept, nothing is joined or split.
 *
 * UDP has no backpressure: while nobody pulls `source`, up to `queueSize` datagrams wait and the rest
 * are dropped and counted in {@link dropped}. Made by {@link udp.bind}.
 */
export class DatagramSocket
  extends DatagramEndpoint<Datagram, OutgoingDatagram>
  implements Duplex<AsyncGenerator<Datagram>, Source<OutgoingDatagram>, Promise<void>>
{
  /**
   * Every datagram received, in arrival order. Ends (`done`) when the socket is closed; throws the
   * socket's error (e.g. `AbortError`) after yielding what arrived before it. Iterate it once.
   */
  declare readonly source: AsyncGenerator<Datagram, void, unknown>

  /**
   * Sends every datagram of `source` to its `address` and `port`; resolves once all were handed to
   * the OS (not once delivered: UDP does not say). The socket stays open when `source` ends or fails.
   * Rejects with `TypeError`/`RangeError` on a malformed item (bare bytes included: a socket that
   * sends bare bytes to one peer is {@link udp.connect}'s), `DatagramTooLargeError` on an
   * oversized one, `SocketClosedError` once closed. May be called again once a call has settled; a
   * call while another is sending rejects with `SinkInUseError`.
   */
  declare readonly sink: (source: Source<OutgoingDatagram>) => Promise<void>

  /** The address the socket is bound to; `port` is the one picked when binding port 0. */
  readonly address: NetAddress

  /** @internal Use {@link udp.bind}. */
  constructor(socket: Socket, init: EndpointInit) {
    super(socket, init)
    this.address = toNetAddress(socket.address())
  }

  protected wrap(data: Buffer, rinfo: RemoteInfo): Datagram {
    return { data, address: rinfo.address, port: rinfo.port, family: rinfo.family as 'IPv4' | 'IPv6' }
  }

  protected send(item: OutgoingDatagram): void {
    if (item === null || typeof item !== 'object') throw notADatagram(item)
    const { data, address, port } = item
    if (!(data instanceof Uint8Array)) {
      // Checked only once the item is wrong, to keep the per-datagram path short.
      if (ArrayBuffer.isView(item) || item instanceof ArrayBuffer) throw notADatagram(item)
      throw new TypeError(`DatagramSocket.sink(): data must be a Uint8Array, got ${describeValue(data)}`)
    }
    if (typeof address !== 'string' || address === '') {
      throw new TypeError(
        `DatagramSocket.sink(): address must be a non-empty string, got ${describeValue(address)}`,
      )
    }
    validatePort('DatagramSocket.sink()', port, false)
    const size = data.byteLength
    this.checkSize(size, () => formatHostPort(address, port))
    this.socket.send(data, port, address, this.sendCallback(size))
    this.sent()
  }
}

/** The TypeError for an item of `DatagramSocket.sink` that is not a `{ data, address, port }` object. */
function notADatagram(item: unknown): TypeError {
  const what = describeValue(item)
  const bare = typeof item === 'string' || ArrayBuffer.isView(item) || item instanceof ArrayBuffer
  return new TypeError(
    bare
      ? `DatagramSocket.sink(): got ${what}, but each item must be a datagram { data, address, port }: ` +
          "an unconnected socket needs each datagram's destination " +
          '(for a socket whose sink takes bare bytes for one peer, use udp.connect())'
      : `DatagramSocket.sink(): each item must be a datagram { data, address, port }, got ${what}`,
  )
}

/**
 * A connected UDP socket: it exchanges datagrams with one peer only. `source` yields each message
 * (datagram) that peer sent, `sink` sends each message to it, so `pipe(messages, conn)` and
 * `for await (const msg of conn.source)` work without any framing.
 *
 * If the peer's port is closed, its ICMP "port unreachable" makes the next read or send fail with
 * `ConnectionRefusedError`, and the socket closes. Made by {@link udp.connect}.
 */
export class DatagramConnection
  extends DatagramEndpoint<Uint8Array, Uint8Array>
  implements Duplex<AsyncGenerator<Uint8Array>, Source<Uint8Array>, Promise<void>>
{
  /**
   * Every message the peer sent, in arrival order. Ends (`done`) when the socket is closed; throws
   * the socket's error (`ConnectionRefusedError`, `AbortError`) after yielding what arrived before
   * it. Iterate it once.
   */
  declare readonly source: AsyncGenerator<Uint8Array, void, unknown>

  /**
   * Sends each message of `source` as one datagram; resolves once all were handed to the OS. The
   * socket stays open when `source` ends or fails. Rejects with `TypeError` naming the type of a
   * message that is not a `Uint8Array` (a string, or another view such as `Uint16Array`),
   * `DatagramTooLargeError` on an oversized message, `ConnectionRefusedError` once the peer's port
   * was found closed, `SocketClosedError` once closed. May be called again once a call has settled; a
   * call while another is sending rejects with `SinkInUseError`.
   */
  declare readonly sink: (source: Source<Uint8Array>) => Promise<void>

  /** The peer's address. */
  readonly remoteAddress: NetAddress

  /** Our end's address. */
  readonly localAddress: NetAddress

  /** @internal Use {@link udp.connect}. */
  constructor(socket: Socket, init: EndpointInit) {
    super(socket, init)
    this.remoteAddress = toNetAddress(socket.remoteAddress())
    this.localAddress = toNetAddress(socket.address())
  }

  protected wrap(data: Buffer): Uint8Array {
    return data
  }

  protected send(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(
        `DatagramConnection.sink(): each message must be a Uint8Array, got ${describeValue(data)}`,
      )
    }
    const size = data.byteLength
    this.checkSize(size, () => formatAddress(this.remoteAddress))
    this.socket.send(data, this.sendCallback(size))
    this.sent()
  }
}

/**
 * Binds a UDP socket. Resolves once bound.
 *
 * @example
 * ```ts
 * await using sock = await udp.bind({ port: 7788 })
 * await pipe(sock.source, sock.sink) // an echo server
 * ```
 * @throws {AddressInUseError} the address is taken and `reuseAddr` is not set (`ERR_ADDRESS_IN_USE`)
 * @throws {HostNotFoundError} `host` is a name that did not resolve (`ERR_HOST_NOT_FOUND`)
 * @throws {AbortError} `signal` fired first (`ERR_ABORTED`)
 */
async function bind(options: UdpBindOptions = {}): Promise<DatagramSocket> {
  const fn = 'udp.bind()'
  validateOptions(fn, options)
  const port = options.port === undefined ? 0 : validatePort(fn, options.port, true)
  const host = options.host === undefined ? undefined : validateHost(fn, options.host)
  const type = validateType(fn, options.type, host)
  const queueSize = validateQueueSize(fn, options.queueSize)
  const reuseAddr = validateBoolean(fn, 'reuseAddr', options.reuseAddr) ?? false
  const signal = validateSignal(fn, options.signal)
  return open(
    { type, reuseAddr },
    {
      operation: 'bind to',
      where: formatHostPort(host ?? (type === 'udp6' ? '::' : '0.0.0.0'), port),
      signal,
      start: (socket) => socket.bind(port, host),
      wrap: (socket) =>
        new DatagramSocket(socket, {
          name: `UDP socket ${formatAddress(toNetAddress(socket.address()))}`,
          queueSize,
          maxPayload: maxPayloadOf(type),
          signal,
        }),
    },
  )
}

/**
 * Opens a connected UDP socket to `host:port`. Resolves once connected: that is local (UDP has no
 * handshake), so it succeeds even if nobody listens there; the first send then makes the next read or
 * send fail with `ConnectionRefusedError`.
 *
 * @example
 * ```ts
 * await using conn = await udp.connect({ host: '127.0.0.1', port: 7788 })
 * await conn.sink([new TextEncoder().encode('ping')])
 * for await (const reply of conn.source) console.log(reply)
 * ```
 * @throws {HostNotFoundError} the host name did not resolve (`ERR_HOST_NOT_FOUND`)
 * @throws {AbortError} `signal` fired first (`ERR_ABORTED`)
 * @throws {SocketError} the OS refused (`ERR_SOCKET`)
 */
async function connect(options: UdpConnectOptions): Promise<DatagramConnection> {
  const fn = 'udp.connect()'
  validateOptions(fn, options)
  const port = validatePort(fn, options.port, false)
  const host = validateHost(fn, options.host ?? 'localhost')
  const type = validateType(fn, options.type, host)
  const queueSize = validateQueueSize(fn, options.queueSize)
  const signal = validateSignal(fn, options.signal)
  return open(
    { type },
    {
      operation: 'connect to',
      where: formatHostPort(host, port),
      signal,
      start: (socket) => socket.connect(port, host),
      wrap: (socket) =>
        new DatagramConnection(socket, {
          name: `UDP connection with ${formatAddress(toNetAddress(socket.remoteAddress()))}`,
          queueSize,
          maxPayload: maxPayloadOf(type),
          signal,
        }),
    },
  )
}

/**
 * UDP sockets: `udp.bind(options)` for a socket that talks to anyone, `udp.connect(options)` for one
 * that talks to a single peer.
 *
 * @namespace
 */
export const udp = {
  /** Binds a UDP socket that talks to anyone: {@link DatagramSocket}. Resolves once bound. */
  bind,
  /** Opens a UDP socket connected to one peer: {@link DatagramConnection}. Resolves once connected. */
  connect,
} as const

/**
 * Makes a socket, starts binding or connecting it and waits until that is done, then wraps it. A
 * signal that already fired makes no socket at all; after that, every way out that does not return
 * the wrapper closes the socket. Node.js reports bind and connect failures through 'error'
 * (https://nodejs.org/api/dgram.html#event-error), and throws some argument errors synchronously.
 */
async function open<T>(
  socketOptions: SocketOptions,
  how: {
    operation: 'bind to' | 'connect to'
    /** The address bound or connected to, for messages. */
    where: string
    signal: AbortSignal | undefined
    start: (socket: Socket) => void
    wrap: (socket: Socket) => T
  },
): Promise<T> {
  const { operation, where, signal } = how
  if (signal?.aborted) throw abortedError(operation, where, signal.reason)
  const socket = createSocket(socketOptions)
  try {
    how.start(socket)
    await waitFor(socket, {
      event: operation === 'bind to' ? 'listening' : 'connect',
      onError: (err) => translateError(err, operation, where, 'udp'),
      signal,
      onAbort: (reason) => abortedError(operation, where, reason),
    })
    return how.wrap(socket)
  } catch (err) {
    socket.close()
    throw err
  }
}

function toNetAddress(address: { address: string; port: number; family: string }): NetAddress {
  return { address: address.address, port: address.port, family: address.family === 'IPv6' ? 'IPv6' : 'IPv4' }
}

function maxPayloadOf(type: UdpType): number {
  return type === 'udp6' ? MAX_UDP6_PAYLOAD : MAX_UDP4_PAYLOAD
}

/** The socket type, defaulted from `host`; an IP address of the other family is an impossible combination. */
function validateType(fn: string, type: unknown, host: string | undefined): SocketType {
  const family = host === undefined ? 0 : isIP(host)
  if (type === undefined) return family === 6 ? 'udp6' : 'udp4'
  if (type !== 'udp4' && type !== 'udp6') {
    throw new TypeError(`${fn}: type must be 'udp4' or 'udp6', got ${String(type)}`)
  }
  if ((type === 'udp4' && family === 6) || (type === 'udp6' && family === 4)) {
    throw new TypeError(
      `${fn}: host ${host} is an IPv${family} address but type is '${type}'` +
        (family === 4 ? ` (use '::ffff:${host}' for an IPv4-mapped address)` : ''),
    )
  }
  return type
}

/** A positive integer: the queue must be bounded, so Infinity is refused. */
function validateQueueSize(fn: string, value: unknown): number {
  if (value === undefined) return UDP_QUEUE_SIZE
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${fn}: queueSize must be a positive integer (datagrams), got ${String(value)}`)
  }
  return value
}
