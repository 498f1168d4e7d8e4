/**
 * The shapes of a PROXY protocol header: what `parseProxyHeader` returns and `encodeProxyHeader` takes.
 *
 * @module
 */

/**
 * An endpoint named by a PROXY header: an IP address and port (TCP or UDP over IPv4 or IPv6), or, in
 * v2, a Unix socket path (`''` for an unnamed socket).
 */
export type ProxyAddress =
  | {
      /** As `inet_ntop` writes it: `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`. */
      address: string
      /** 0–65535. */
      port: number
      /** The address family, as in Node.js's `net` addresses. */
      family: 'IPv4' | 'IPv6'
    }
  | {
      /** The socket path, decoded as UTF-8 up to its first NUL byte (at most 108 bytes). */
      path: string
    }

/** One v2 TLV as sent: its type (0–255) and value (at most 65,535 bytes). */
export interface ProxyTlv {
  /** The TLV's type, 0–255 (PP2_TYPE_*). */
  type: number
  /** The TLV's value, at most 65,535 bytes. */
  value: Uint8Array
}

/** The SSL TLV (0x20): how the client reached the proxy. */
export interface ProxySslInfo {
  /** Bit field: 0x01 connected over TLS, 0x02 sent a certificate on this connection, 0x04 in this session. */
  client: number
  /** 0 when the client's certificate was presented and verified, non-zero otherwise. */
  verify: number
  /** TLS version (sub-TLV 0x21), US-ASCII, e.g. `TLSv1.3`. */
  version?: string
  /** Common Name of the client certificate's subject (0x22), UTF-8. */
  cn?: string
  /** Cipher name (0x23), US-ASCII, e.g. `ECDHE-RSA-AES128-GCM-SHA256`. */
  cipher?: string
  /** Signature algorithm of the proxy's certificate (0x24), US-ASCII, e.g. `RSA-SHA256`. */
  sigAlg?: string
  /** Key algorithm of the proxy's certificate (0x25), US-ASCII, e.g. `RSA2048`. */
  keyAlg?: string
}

/**
 * The TLVs of a v2 header, the registered ones decoded. Each registered type but NOOP may appear once
 * (a second one is an error); NOOP and unregistered types may repeat. `raw` holds every TLV in order,
 * NOOP and CRC32C included; values are views of the parsed bytes, not copies.
 */
export interface ProxyTlvs {
  /** ALPN (0x01): the protocol negotiated with the client, e.g. the bytes of `h2`. */
  alpn?: Uint8Array
  /** AUTHORITY (0x02): the host name the client asked for (TLS SNI), UTF-8. */
  authority?: string
  /** UNIQUE_ID (0x05): an opaque connection id from the proxy, at most 128 bytes. */
  uniqueId?: Uint8Array
  /** SSL (0x20) and its sub-TLVs. */
  ssl?: ProxySslInfo
  /** NETNS (0x30): the network namespace's name, US-ASCII. */
  netns?: string
  /** CRC32C (0x03): the checksum the header carried (already verified). */
  crc32c?: number
  /** Every TLV, in order. Always empty for v1. */
  raw: ProxyTlv[]
}

/** A parsed PROXY protocol header. */
export interface ProxyHeader {
  /** The protocol version the header was written in: 1 (text) or 2 (binary). */
  version: 1 | 2
  /**
   * `PROXY`: the connection was relayed for `source`. `LOCAL` (v2 only): the proxy made it itself (a
   * health check); use the real connection's endpoints.
   */
  command: 'PROXY' | 'LOCAL'
  /**
   * `TCP` for a stream (SOCK_STREAM), `UDP` for datagrams (SOCK_DGRAM), also over Unix sockets.
   * Undefined for LOCAL, v1 UNKNOWN and v2 UNSPEC.
   */
  transport?: 'TCP' | 'UDP'
  /** The client. Undefined for LOCAL, v1 UNKNOWN and v2 AF_UNSPEC or UNSPEC transport. */
  source?: ProxyAddress
  /** The address the client connected to. Undefined when `source` is. */
  destination?: ProxyAddress
  /** The v2 header's TLVs, decoded; empty for a v1 header. */
  tlvs: ProxyTlvs
}

/** What `parseProxyHeader` says of the bytes so far. */
export type ProxyParseResult =
  | { status: 'incomplete' }
  | {
      status: 'done'
      header: ProxyHeader
      /** Bytes the header took; the connection's payload starts at this offset. */
      length: number
    }

/** What `encodeProxyHeader` writes. */
export interface ProxyHeaderInit {
  /** The protocol version to write: 1 (text) or 2 (binary). */
  version: 1 | 2
  /**
   * `LOCAL` (v2 only) takes no addresses and no transport.
   * @default 'PROXY'
   */
  command?: 'PROXY' | 'LOCAL'
  /**
   * Only with addresses; v1 knows only TCP.
   * @default 'TCP' when addresses are given
   */
  transport?: 'TCP' | 'UDP'
  /**
   * Both or neither of `source` and `destination`, of one family. Neither: v1 writes
   * `PROXY UNKNOWN`, v2 the AF_UNSPEC family. Unix paths need v2.
   */
  source?: ProxyAddress
  /** The address the client connected to; see `source`. */
  destination?: ProxyAddress
  /**
   * v2 only: TLVs to append, in order. A CRC32C TLV (type 3) must have a 4-byte value, whose content
   * is ignored: the encoder computes the checksum. Registered types are checked as the parser checks
   * them (UTF-8 or US-ASCII strings, lengths, one of each).
   */
  tlvs?: ReadonlyArray<ProxyTlv>
}
