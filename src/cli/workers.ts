import type { Worker } from 'node:cluster'
import { log } from './log.js'
import { SHUTDOWN_MESSAGE, type ShutdownMessage } from './worker-shutdown.js'

/** The most workers `--workers` accepts. */
export const MAX_WORKERS = 256

/**
 * How many times workers may crash within {@link RESTART_WINDOW} ms and be restarted; one more
 * crash in that window and the primary gives up: it drains the other workers and exits 1, so that a
 * server that cannot run (a handler that throws at once, memory exhausted) does not loop forever.
 */
export const RESTART_LIMIT = 5

/** The window of {@link RESTART_LIMIT}, in milliseconds: a minute. */
export const RESTART_WINDOW = 60_000

/**
 * `it-socket listen … --workers N`, in the primary process: forks `count` workers with
 * `node:cluster` (round-robin: the primary accepts and hands each connection to the next worker),
 * each running the same command line as a one-process server. A worker that crashes once serving
 * is restarted, at most {@link RESTART_LIMIT} times per minute. A worker that exits before it
 * listens (address in use, certificate refused) is a failed start: the others are drained and the
 * exit status is 1. SIGINT or SIGTERM drains every worker: each stops accepting and gives its
 * connections the usual time to finish; a second signal closes them at once. Resolves with 0 once
 * every worker has exited cleanly after a signal, 1 otherwise.
 */
export async function runWorkers(count: number): Promise<number> {
  const { default: cluster } = await import('node:cluster')
  // Round-robin is Node's default except on Windows; say it, the docs rely on it.
  cluster.schedulingPolicy = cluster.SCHED_RR
  const slots = new Map<Worker, number>()
  const listening = new Set<Worker>()
  const crashes: number[] = []
  let stopping: 'no' | 'drain' | 'force' = 'no'
  let status = 0
  let announced = false

  const tell = (worker: Worker, message: ShutdownMessage): void => {
    if (worker.isConnected()) worker.send(message, () => {})
  }
  const stopAll = (how: 'drain' | 'force'): void => {
    stopping = how
    for (const worker of slots.keys()) tell(worker, { [SHUTDOWN_MESSAGE]: how })
  }
  const fork = (slot: number): void => {
    const worker = cluster.fork({ IT_SOCKET_WORKER: String(slot) })
    slots.set(worker, slot)
    // A worker started while draining (a crash just before the signal) is told at once.
    const how = stopping
    if (how !== 'no') worker.once('online', () => tell(worker, { [SHUTDOWN_MESSAGE]: how }))
  }

  const done = new Promise<void>((resolve) => {
    cluster.on('listening', (worker) => {
      listening.add(worker)
      if (announced) log(`worker ${slots.get(worker)} (pid ${worker.process.pid}) listening again`)
      else if (listening.size === count) {
        announced = true
        const pids = [...slots.keys()].map((w) => w.process.pid).join(', ')
        log(`${count} workers listening (pids ${pids}); SIGTERM drains them`)
      }
    })
    cluster.on('exit', (worker, code, signal) => {
      const slot = slots.get(worker) ?? 0
      slots.delete(worker)
      const served = listening.delete(worker)
      const how = signal === null ? `exited with status ${code}` : `was killed by ${signal}`
      if (stopping !== 'no') {
        // After a failure the status is 1 already, and the others' exits say nothing new.
        if (code !== 0 && status === 0) {
          status = 1
          log(`worker ${slot} (pid ${worker.process.pid}) ${how} while draining`)
        }
      } else if (!served) {
        // It said why on stderr (address in use, a certificate OpenSSL refused): stop, do not loop.
        status = 1
        log(`worker ${slot} (pid ${worker.process.pid}) ${how} before listening: stopping the others`)
        stopAll('drain')
      } else {
        const now = Date.now()
        crashes.push(now)
        while ((crashes[0] as number) <= now - RESTART_WINDOW) crashes.shift()
        if (crashes.length > RESTART_LIMIT) {
          status = 1
          log(
            `worker ${slot} (pid ${worker.process.pid}) ${how}: ${crashes.length} crashes within a minute ` +
              `(limit ${RESTART_LIMIT}): giving up, draining the others`,
          )
          stopAll('drain')
        } else {
          log(`worker ${slot} (pid ${worker.process.pid}) ${how}: restarting it`)
          fork(slot)
        }
      }
      if (slots.size === 0) resolve()
    })
  })

  let signals = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++
    if (signals === 1) {
      log(`${signal}: draining ${slots.size} workers (again to force)`)
      stopAll('drain')
    } else {
      log(`${signal}: closing every connection now`)
      stopAll('force')
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  for (let slot = 1; slot <= count; slot++) fork(slot)
  await done
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  log(status === 0 ? 'every worker closed' : 'stopped')
  return status
}
