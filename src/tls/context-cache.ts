import type { SecureContext, SecureContextOptions } from 'node:tls'

/**
 * Client contexts loaded before, by what they were loaded from. Loading one (`createSecureContext`:
 * parsing the CAs, the certificate and the key) costs about 0.5 ms, a third of a client's handshake,
 * and `connect({ tls: { ca } })` would otherwise pay it at every connection. PEM text is known by
 * its value, a `Buffer` by its identity: a file read again (a rotated certificate) is loaded again,
 * but a Buffer changed in place after a connect is not (Node.js itself reads them once per context).
 */
const MAX_CONTEXTS = 64
const contexts = new Map<string, SecureContext>()

/** Ids of the PEM strings seen: a key is made of short ids, not of the (long) PEM text. */
const MAX_STRINGS = 256
const stringIds = new Map<string, number>()
const bufferIds = new WeakMap<Buffer, number>()
let nextId = 0

/**
 * @internal The context for `options`, loaded once (with `load`, which may throw) and kept, at most
 * `MAX_CONTEXTS` of them, the least recently used dropped first.
 */
export function cachedContext(options: SecureContextOptions, load: () => SecureContext): SecureContext {
  const key = [options.ca, options.cert, options.key, options.passphrase, options.minVersion]
    .map(idOf)
    .join(',')
  const hit = contexts.get(key)
  if (hit !== undefined) {
    // Most recently used last.
    contexts.delete(key)
    contexts.set(key, hit)
    return hit
  }
  const context = load()
  contexts.set(key, context)
  if (contexts.size > MAX_CONTEXTS) contexts.delete(contexts.keys().next().value as string)
  return context
}

/** A short id for one option's value (a string, a Buffer, an array of them, or nothing). */
function idOf(value: unknown): string {
  if (value === undefined) return '-'
  if (typeof value === 'string') {
    let id = stringIds.get(value)
    if (id === undefined) {
      if (stringIds.size >= MAX_STRINGS) {
        // Ids are about to be reused for other strings: forget the contexts keyed by the old ones.
        stringIds.clear()
        contexts.clear()
      }
      id = nextId++
      stringIds.set(value, id)
    }
    return `s${id}`
  }
  if (Buffer.isBuffer(value)) {
    let id = bufferIds.get(value)
    if (id === undefined) {
      id = nextId++
      bufferIds.set(value, id)
    }
    return `b${id}`
  }
  if (Array.isArray(value)) return `[${value.map(idOf).join(' ')}]`
  return `?${String(value)}`
}
