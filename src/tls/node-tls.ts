/**
 * `node:tls`, loaded when TLS is first used rather than when it-socket is imported: merely loading
 * it makes a plain server's idle connections cost about 1.4 KiB more RSS each (6.5 → 8.0 KiB,
 * workload E of `npm run bench`), so a program that never speaks TLS must not pay for it.
 *
 * @module
 */
type NodeTls = typeof import('node:tls')

let loaded: NodeTls | undefined

/** @internal Loads `node:tls` (once); call before {@link nodeTls}. */
export async function loadTls(): Promise<NodeTls> {
  loaded ??= await import('node:tls')
  return loaded
}

/** @internal `node:tls`, once {@link loadTls} has loaded it. */
export function nodeTls(): NodeTls {
  if (loaded === undefined) throw new Error('it-socket: node:tls used before loadTls()')
  return loaded
}

/** @internal True for a TLS socket (Node.js documents `encrypted` as the way to tell). */
export function isTlsSocket(socket: object): socket is import('node:tls').TLSSocket {
  return (socket as { encrypted?: unknown }).encrypted === true
}
