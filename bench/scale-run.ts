/**
 * One stack's scale run, for `scale.ts`: a fresh server process (`server.ts <stack> lp`, CPU 1) and
 * a fresh client process (`scale-client.ts`, CPU 0), driven phase by phase (warm-up, opening, idle,
 * closing) while the probe times a fresh client's echo; both children are killed at the end, whatever
 * happens. Every phase has a deadline that grows with the connections.
 *
 * @module
 */

import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Child, killAll } from './children.js'
import type { MemorySample, ServerReady } from './protocol.js'
import type { ScaleClientEvent, ScaleClientSpec } from './scale-echo.js'
import { Probe } from './scale-probe.js'
import type { ScaleStack, StackResult } from './scale-report.js'
import { countersSince, tcpCounters } from './scale-system.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const SERVER = join(here, 'server.js')
const CLIENT = join(here, 'scale-client.js')
/** Heap ceiling of both children, in MiB: far above what 100,000 connections need. */
const HEAP_MIB = 8192

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const log = (line: string): void => void process.stdout.write(`${line}\n`)

/** What one stack's run is asked to do. */
export interface RunOptions {
  /** Connections to open and hold. */
  connections: number
  /** Connections at most in progress at once while opening. */
  window: number
  /** How long every connection stays idle (probed) before the close, in ms. */
  idleMs: number
  /** The probe's interval, in ms. */
  probeMs: number
}

/** Sends `command` to the server and returns its answer. */
function ask<T>(server: Child, command: string, deadline = Date.now() + 30_000): Promise<T> {
  server.send(command)
  return server.next<T>(deadline)
}

/** The client's next event, which must be `event` (progress lines are printed on the way). */
async function until<E extends ScaleClientEvent['event']>(
  client: Child,
  event: E,
  deadline: number,
): Promise<Extract<ScaleClientEvent, { event: E }>> {
  for (;;) {
    const line = await client.next<ScaleClientEvent>(deadline)
    if (line.event === 'progress') log(`  … ${line.echoed} echoed after ${(line.ms / 1000).toFixed(1)} s`)
    else if (line.event === event) return line as Extract<ScaleClientEvent, { event: E }>
    else throw new Error(`client: expected ${event}, got ${line.event}`)
  }
}

/**
 * Runs `stack` through the scale phases with `o.connections` connections and returns what was
 * measured; rejects when a phase fails or misses its deadline.
 */
export async function runStack(stack: ScaleStack, o: RunOptions): Promise<StackResult> {
  const n = o.connections
  const counters = tcpCounters()
  const server = new Child(SERVER, [stack, 'lp'], 1, ['--expose-gc', `--max-old-space-size=${HEAP_MIB}`])
  let probe: Probe | undefined
  try {
    const { port } = await server.next<ServerReady>(Date.now() + 30_000)
    const spec: ScaleClientSpec = {
      port,
      connections: n,
      window: o.window,
      size: 64,
      warm: 200,
      progressMs: 2000,
    }
    const client = new Child(CLIENT, [JSON.stringify(spec)], 0, [`--max-old-space-size=${HEAP_MIB}`])
    await until(client, 'warmed', Date.now() + 60_000)
    await sleep(500) // the warm-up connections' closes
    const before = await ask<MemorySample>(server, 'mem')

    probe = new Probe(port, o.probeMs)
    probe.phase = 'opening'
    probe.start()
    client.send('go')
    const opened = await until(client, 'opened', Date.now() + 60_000 + n * 3)
    log(`  ${opened.connections} connections echoed in ${(opened.ms / 1000).toFixed(1)} s`)

    // The forced GCs of `mem` stop the server by design: no probe runs across them.
    await probe.stop()
    const idle = await ask<MemorySample>(server, 'mem', Date.now() + 120_000)
    const { conns } = await ask<{ conns: number }>(server, 'conns')
    probe.phase = 'idle'
    probe.start()
    await sleep(o.idleMs)

    probe.phase = 'closing'
    const t0 = performance.now()
    client.send('close')
    const closeDeadline = Date.now() + 60_000 + n
    let left = conns
    while (left > 0) {
      await sleep(50)
      left = (await ask<{ conns: number }>(server, 'conns', closeDeadline)).conns
      if (Date.now() > closeDeadline) throw new Error(`the server still holds ${left} connections`)
    }
    const closeMs = performance.now() - t0
    const closed = await until(client, 'closed', closeDeadline)
    await sleep(Math.min(1000, o.idleMs)) // probes after the last close
    await probe.stop()
    const after = await ask<MemorySample>(server, 'mem')
    await client.stop(undefined, 5000)
    await server.stop('exit', 5000)
    log(`  all closed: server at 0 after ${closeMs.toFixed(0)} ms`)

    return {
      stack,
      connections: n,
      openMs: opened.ms,
      acceptRate: n / (opened.ms / 1000),
      rss: { before: before.rss, idle: idle.rss, closed: after.rss },
      heapUsed: { before: before.heapUsed, idle: idle.heapUsed, closed: after.heapUsed },
      rssPerConn: (idle.rss - before.rss) / n,
      heapPerConn: (idle.heapUsed - before.heapUsed) / n,
      serverConns: conns,
      closeMs,
      clientCloseMs: closed.ms,
      lostWhileIdle: closed.lostWhileIdle,
      probes: {
        opening: probe.summary('opening'),
        idle: probe.summary('idle'),
        closing: probe.summary('closing'),
        all: probe.summary(),
      },
      counters: countersSince(counters, tcpCounters()),
    }
  } finally {
    await probe?.stop()
    killAll()
  }
}
