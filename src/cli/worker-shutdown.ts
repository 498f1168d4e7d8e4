/** The key of the one message the primary sends its workers: `{ 'it-socket:shutdown': how }`. */
export const SHUTDOWN_MESSAGE = 'it-socket:shutdown'

/** What the primary tells a worker: drain (stop accepting, let connections finish) or force. */
export type ShutdownMessage = { [SHUTDOWN_MESSAGE]: 'drain' | 'force' }

/** Whether this process is a `--workers` worker (forked by {@link runWorkers}), and which one. */
export function workerSlot(): number | undefined {
  const slot = process.env.IT_SOCKET_WORKER
  return slot === undefined || process.send === undefined ? undefined : Number(slot)
}

/**
 * In a `--workers` worker, the counterpart of `onShutdownSignals`: `graceful` when the primary says
 * drain (or goes away: the IPC channel closes), `force` when it says force. SIGINT and SIGTERM are
 * ignored here: Ctrl-C reaches every process of the terminal's group, and only the primary decides,
 * so a single Ctrl-C drains instead of counting twice. Returns a function that removes the handlers.
 */
export function onPrimaryShutdown(graceful: () => void, force: () => void): () => void {
  let drained = false
  const drain = (): void => {
    if (!drained) {
      drained = true
      graceful()
    }
  }
  const onMessage = (message: unknown): void => {
    if (typeof message !== 'object' || message === null || !(SHUTDOWN_MESSAGE in message)) return
    const how = message[SHUTDOWN_MESSAGE]
    if (how === 'drain') drain()
    else if (how === 'force') {
      drain()
      force()
    }
  }
  const ignore = (): void => {}
  process.on('message', onMessage)
  process.on('disconnect', drain)
  process.on('SIGINT', ignore)
  process.on('SIGTERM', ignore)
  return () => {
    process.off('message', onMessage)
    process.off('disconnect', drain)
    process.off('SIGINT', ignore)
    process.off('SIGTERM', ignore)
  }
}

/**
 * Lets go of the primary so the worker can exit with its own status: the IPC channel keeps a worker
 * alive, and a plain `process.disconnect()` would make Node exit it with status 0 whatever happened.
 */
export async function leavePrimary(): Promise<void> {
  const { default: cluster } = await import('node:cluster')
  if (cluster.worker?.isConnected() === true) cluster.worker.disconnect()
}
