import { quote, UsageError } from './usage-error.js'

/** A TCP address from the command line; `host` is `undefined` when only a port was given. */
export interface HostPort {
  host: string | undefined
  port: number
}

/**
 * Parses `[HOST:]PORT`: `7788`, `localhost:7788`, `10.0.0.2:7788`, `[::1]:7788`. IPv6 addresses
 * must be in brackets (otherwise `::1:7788` would be ambiguous). `allowZero` admits port 0 (any free
 * port), for listening.
 *
 * @throws {UsageError} for a missing or bad port, an empty host, or an IPv6 host without brackets
 */
export function parseAddress(text: string, options: { allowZero: boolean }): HostPort {
  let host: string | undefined
  let port: string
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close < 0 || text[close + 1] !== ':') {
      throw new UsageError(`bad address ${quote(text)}: expected [IPV6]:PORT, e.g. [::1]:7788`)
    }
    host = text.slice(1, close)
    port = text.slice(close + 2)
  } else {
    const colon = text.lastIndexOf(':')
    if (colon >= 0) {
      host = text.slice(0, colon)
      port = text.slice(colon + 1)
      if (host.includes(':')) {
        throw new UsageError(`bad address ${quote(text)}: write an IPv6 address in brackets, e.g. [::1]:7788`)
      }
    } else {
      port = text
    }
  }
  if (host === '') throw new UsageError(`bad address ${quote(text)}: the host before ":" is empty`)
  return { host, port: parsePort(port, options) }
}

/**
 * Parses a port number: decimal digits, 1–65535 (0–65535 with `allowZero`).
 * @throws {UsageError} otherwise
 */
export function parsePort(text: string, options: { allowZero: boolean }): number {
  const min = options.allowZero ? 0 : 1
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(port >= min && port <= 65535)) {
    throw new UsageError(`bad port ${quote(text)}: expected an integer from ${min} to 65535`)
  }
  return port
}
