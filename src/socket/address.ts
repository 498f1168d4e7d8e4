import type { AddressInfo, Socket } from 'node:net'

/** An IPv4 or IPv6 endpoint. */
export interface NetAddress {
  /** The IP address, e.g. `127.0.0.1` or `::1`. */
  address: string
  /** The port number. */
  port: number
  /** The address family. */
  family: 'IPv4' | 'IPv6'
}

/** A Unix domain socket endpoint. */
export interface UnixAddress {
  /** The socket file's path (empty for an unnamed client socket). */
  path: string
}

/** Where a socket is bound or connected: an IP endpoint or a Unix socket path. */
export type SocketAddress = NetAddress | UnixAddress

/** Formats an address for messages: `127.0.0.1:7788`, `[::1]:7788` or `unix:/tmp/s.sock`. */
export function formatAddress(address: SocketAddress | undefined): string {
  if (address === undefined) return 'unknown address'
  if ('path' in address) return `unix:${address.path}`
  return address.family === 'IPv6'
    ? `[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`
}

/** Formats a host and port for messages: `localhost:7788`, `[::1]:7788`. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** Normalises what `server.address()` returns. */
export function fromNodeAddress(address: AddressInfo | string | null, path?: string): SocketAddress {
  if (address === null || typeof address === 'string') return { path: address ?? path ?? '' }
  return { address: address.address, port: address.port, family: address.family === 'IPv6' ? 'IPv6' : 'IPv4' }
}

/** The remote end of a connected socket, read once (Node.js forgets it after the socket is destroyed). */
export function remoteAddressOf(socket: Socket, path?: string): SocketAddress {
  if (socket.remoteAddress === undefined || socket.remotePort === undefined) return { path: path ?? '' }
  return {
    address: socket.remoteAddress,
    port: socket.remotePort,
    family: socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4',
  }
}

/** The local end of a connected socket. */
export function localAddressOf(socket: Socket, path?: string): SocketAddress {
  if (socket.localAddress === undefined || socket.localPort === undefined) return { path: path ?? '' }
  return {
    address: socket.localAddress,
    port: socket.localPort,
    family: socket.localFamily === 'IPv6' ? 'IPv6' : 'IPv4',
  }
}
