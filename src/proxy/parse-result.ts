/**
 * What every PROXY header parsing step returns or throws.
 *
 * @module
 */

import { ProxyProtocolError } from '../errors.js'
import type { ProxyParseResult } from './types.js'

/** The one `incomplete` result (shared: the bytes so far are a valid beginning, send more). */
export const INCOMPLETE: ProxyParseResult = Object.freeze({ status: 'incomplete' })

/**
 * Throws the `ProxyProtocolError` for `reason`. The message says what was wrong and the offset of the
 * byte that proved it, from the start of the connection; it has no prefix, so that a server can put
 * the peer's address in front (`Bad PROXY header from 192.0.2.1:4000: …`).
 */
export function reject(reason: string, what: string, offset: number): never {
  throw new ProxyProtocolError(`${what} (byte ${offset})`, reason)
}
