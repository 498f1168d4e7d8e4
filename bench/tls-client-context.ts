/**
 * The raw TLS client's shared context. Apart from tls-fixtures.ts so that a server process loads
 * `node:tls` only when it serves TLS: loading it raises a plain it-socket server's RSS per idle
 * connection (workload E) by about 1.4 KiB.
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import { tlsFiles } from './tls-fixtures.js'

let context: SecureContext | undefined

/**
 * The raw client's context, trusting the CA: made once and shared by every connection, as a careful
 * `node:tls` client does (`tls.connect({ ca })` would parse the CA and build a new one per connection).
 */
export function clientContext(): SecureContext {
  context ??= createSecureContext({ ca: tlsFiles().ca })
  return context
}
