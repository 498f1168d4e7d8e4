/**
 * The scale client process: `node dist/bench/scale-client.js '<ScaleClientSpec as JSON>'`, started
 * by `scale.ts` (which raises its descriptor limit first).
 *
 * Warms the server up (`warm` connections, one echo each, closed), prints `warmed` and waits for a
 * line on stdin; then opens `connections` connections, at most `window` in progress at once, each
 * from the next of `SOURCE_HOSTS` in turn, each sending one message and waiting for its echo, then
 * holding it idle. Prints `progress` lines while opening, `opened` once every connection has echoed,
 * waits for a line on stdin, ends every socket (FIN) and prints `closed` once all are closed. Any
 * failed connection or echo exits non-zero with the reason on stderr.
 *
 * @module
 */

import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import {
  connectEcho,
  echoFrame,
  type ScaleClientEvent,
  type ScaleClientSpec,
  SOURCE_HOSTS,
} from './scale-echo.js'
import { emit, stdinRendezvous } from './stdin-rendezvous.js'

/**
 * Opens `n` connections that have each echoed `frame`, at most `window` in progress at once, the
 * i-th from `SOURCE_HOSTS[i % 8]`; `onEchoed` is told the count after each.
 */
function openMany(
  port: number,
  frame: Buffer,
  n: number,
  window: number,
  onEchoed: (echoed: number) => void,
): Promise<Socket[]> {
  const sockets: Socket[] = new Array<Socket>(n)
  let started = 0
  let echoed = 0
  let failed = false
  return new Promise((resolve, reject) => {
    const launch = (): void => {
      while (!failed && started < n && started - echoed < window) {
        const i = started++
        connectEcho(port, frame, SOURCE_HOSTS[i % SOURCE_HOSTS.length]).then(
          (socket) => {
            sockets[i] = socket
            echoed++
            onEchoed(echoed)
            if (echoed === n) resolve(sockets)
            else launch()
          },
          (err: unknown) => {
            if (failed) return
            failed = true
            const reason = err instanceof Error ? err.message : String(err)
            reject(new Error(`connection ${i + 1} (${echoed} echoed so far) failed: ${reason}`))
          },
        )
      }
    }
    launch()
  })
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ScaleClientSpec
  const frame = echoFrame(spec.size)
  const wait = stdinRendezvous<ScaleClientEvent>()

  const warm = await openMany(spec.port, frame, spec.warm, spec.window, () => {})
  for (const socket of warm) socket.destroy()
  await wait({ event: 'warmed' })

  const t0 = performance.now()
  let echoed = 0
  const progress = setInterval(
    () => emit({ event: 'progress', echoed, ms: performance.now() - t0 }),
    spec.progressMs,
  )
  const sockets = await openMany(spec.port, frame, spec.connections, spec.window, (n) => {
    echoed = n
  })
  const openMs = performance.now() - t0
  clearInterval(progress)

  // Idle: a connection the server closes or resets now is lost.
  let closing = false
  let lostWhileIdle = 0
  let open = sockets.length
  let allClosed: () => void = () => {}
  const closed = new Promise<void>((resolve) => {
    allClosed = resolve
  })
  const onClose = (): void => {
    if (!closing) lostWhileIdle++
    if (--open === 0) allClosed()
  }
  for (const socket of sockets) {
    socket.on('error', () => {})
    socket.on('close', onClose)
  }
  await wait({ event: 'opened', connections: sockets.length, ms: openMs })

  closing = true
  const tClose = performance.now()
  for (const socket of sockets) socket.end()
  if (open > 0) await closed
  emit({ event: 'closed', ms: performance.now() - tClose, lostWhileIdle })
  process.exit(0)
}

main().catch((err: unknown) => {
  process.stderr.write(`scale client: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
