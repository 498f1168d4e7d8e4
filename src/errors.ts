/**
 * Every error a caller of it-socket may catch. Match on `code` (stable across versions) or on the
 * class with `instanceof`; `message` is for people and names the address or limit involved; `cause`
 * holds the original Node.js error, unchanged, where there was one.
 *
 * Bad arguments are not listed here: they throw `TypeError` or `RangeError` at once.
 *
 * @module
 */

/** Options every it-socket error takes. */
export interface ItSocketErrorOptions {
  /** The error that caused this one, usually a Node.js system error. */
  cause?: unknown
}

/** The base class of every it-socket error: has a stable `code`. */
export class ItSocketError extends Error {
  /** A stable, machine-readable identifier, e.g. `ERR_CONNECTION_REFUSED`. */
  readonly code: string

  constructor(message: string, code: string, options?: ItSocketErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
  }
}

/** Thrown when nobody is listening at the address a connection was attempted to. */
export class ConnectionRefusedError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_CONNECTION_REFUSED'
  constructor(message = 'Connection refused', options?: ItSocketErrorOptions) {
    super(message, ConnectionRefusedError.code, options)
  }
}

/** Thrown when the peer reset the connection (or it broke) while data was in flight. */
export class ConnectionResetError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_CONNECTION_RESET'
  constructor(message = 'Connection reset by peer', options?: ItSocketErrorOptions) {
    super(message, ConnectionResetError.code, options)
  }
}

/** Thrown when a connect timeout or an idle timeout expired. */
export class TimeoutError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_TIMEOUT'
  constructor(message = 'Timed out', options?: ItSocketErrorOptions) {
    super(message, TimeoutError.code, options)
  }
}

/** Thrown when an operation was aborted: `abort()` was called or an `AbortSignal` fired. */
export class AbortError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_ABORTED'
  constructor(message = 'The operation was aborted', options?: ItSocketErrorOptions) {
    super(message, AbortError.code, options)
  }
}

/** Thrown when `listen()` is asked for an address another socket is already bound to. */
export class AddressInUseError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_ADDRESS_IN_USE'
  constructor(message = 'Address already in use', options?: ItSocketErrorOptions) {
    super(message, AddressInUseError.code, options)
  }
}

/**
 * Thrown when a host name could not be resolved (`ENOTFOUND`, `EAI_AGAIN`) by `connect()`, `listen()`,
 * `udp.bind()`, `udp.connect()` or a UDP send; the message names it.
 */
export class HostNotFoundError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_HOST_NOT_FOUND'
  constructor(message = 'Host not found', options?: ItSocketErrorOptions) {
    super(message, HostNotFoundError.code, options)
  }
}

/** Thrown when a connection (or server) is used after it was closed. */
export class SocketClosedError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_SOCKET_CLOSED'
  constructor(message = 'Socket is closed', options?: ItSocketErrorOptions) {
    super(message, SocketClosedError.code, options)
  }
}

/**
 * Thrown when `sink()` is called a second time on the same connection (for UDP: while another call
 * is still sending).
 */
export class SinkInUseError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_SINK_IN_USE'
  constructor(message = 'sink() may be called only once per connection', options?: ItSocketErrorOptions) {
    super(message, SinkInUseError.code, options)
  }
}

/**
 * Thrown when a framed stream is read while another read is pending: a second `read()`, iterating
 * `source` during a `read()`, `read()` while `request()`s await replies, or `unwrap()` during a read;
 * or when a connection's source is read twice at once.
 */
export class ReadInUseError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_READ_IN_USE'
  constructor(message = 'Another read is pending', options?: ItSocketErrorOptions) {
    super(message, ReadInUseError.code, options)
  }
}

/** Thrown when a framed stream is read, written or unwrapped again after `unwrap()` handed it back. */
export class UnwrappedError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_UNWRAPPED'
  constructor(message = 'The framed stream was unwrapped', options?: ItSocketErrorOptions) {
    super(message, UnwrappedError.code, options)
  }
}

/**
 * Reported (through the server's `onError`) when a connection was turned away because the queue of
 * accepted connections waiting for a `maxConnections` slot was full.
 */
export class ServerBusyError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_SERVER_BUSY'
  constructor(message = 'Server busy: connection queue is full', options?: ItSocketErrorOptions) {
    super(message, ServerBusyError.code, options)
  }
}

/** Thrown when a datagram is larger than the socket can send (`EMSGSIZE`); the message names the size. */
export class DatagramTooLargeError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_DATAGRAM_TOO_LARGE'
  constructor(message = 'Datagram too large', options?: ItSocketErrorOptions) {
    super(message, DatagramTooLargeError.code, options)
  }
}

/** Thrown for any other operating-system socket error; `cause` holds it and the message names its code. */
export class SocketError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_SOCKET'
  constructor(message = 'Socket error', options?: ItSocketErrorOptions) {
    super(message, SocketError.code, options)
  }
}

/** Thrown when a frame (announced, or growing while searched for its delimiter) exceeds `maxLength`. */
export class FrameTooLongError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_FRAME_TOO_LONG'
  constructor(message = 'Frame too long', options?: ItSocketErrorOptions) {
    super(message, FrameTooLongError.code, options)
  }
}

/**
 * Thrown when the bytes cannot be a frame: a varint that never ends, invalid UTF-8 where text is
 * required, malformed JSON.
 */
export class InvalidFrameError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_INVALID_FRAME'
  constructor(message = 'Invalid frame', options?: ItSocketErrorOptions) {
    super(message, InvalidFrameError.code, options)
  }
}

/** Thrown when the stream ended in the middle of a frame. */
export class UnexpectedEndError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_UNEXPECTED_EOF'
  constructor(message = 'Unexpected end of stream', options?: ItSocketErrorOptions) {
    super(message, UnexpectedEndError.code, options)
  }
}

/**
 * Thrown when a TLS handshake or a TLS connection failed: the peer's certificate did not verify, it
 * names another host, it expired, a client certificate was missing or refused, no ALPN protocol was
 * shared, the peer sent something that is not TLS, or an alert arrived later. `reason` is OpenSSL's
 * or Node.js's code (`DEPTH_ZERO_SELF_SIGNED_CERT`, `CERT_HAS_EXPIRED`,
 * `ERR_TLS_CERT_ALTNAME_INVALID`, `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`, …).
 */
export class TlsError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_TLS'
  /** OpenSSL's or Node.js's code for what failed, e.g. `CERT_HAS_EXPIRED`. */
  readonly reason: string
  constructor(message = 'TLS failed', reason = 'UNKNOWN', options?: ItSocketErrorOptions) {
    super(message, TlsError.code, options)
    this.reason = reason
  }
}

/**
 * Thrown when the bytes at the start of a connection cannot be a PROXY protocol header (v1 or v2):
 * a bad signature, a malformed v1 line, an unknown v2 command or family, a TLV that overruns the
 * header, a CRC32C that does not match, or a version the listener does not accept. `reason` is a
 * stable identifier of what failed (`BAD_SIGNATURE`, `V1_LEADING_ZERO`, `TLV_OVERRUN`, …).
 */
export class ProxyProtocolError extends ItSocketError {
  /** The `code` of every instance of this class: compare `err.code` with it. */
  static readonly code = 'ERR_PROXY_PROTOCOL'
  /** What failed, e.g. `V1_BAD_PORT` or `CRC32C_MISMATCH`; docs/ERRORS.md lists them all. */
  readonly reason: string
  constructor(message = 'Invalid PROXY protocol header', reason = 'UNKNOWN', options?: ItSocketErrorOptions) {
    super(message, ProxyProtocolError.code, options)
    this.reason = reason
  }
}
