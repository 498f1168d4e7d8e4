import { log } from './log.js'

/**
 * Calls `graceful` on the first SIGINT (Ctrl-C) or SIGTERM and `force` on the next one, so a second
 * Ctrl-C does not wait for slow peers. Returns a function that removes the handlers.
 */
export function onShutdownSignals(graceful: () => void, force: () => void): () => void {
  let count = 0
  const handler = (signal: NodeJS.Signals): void => {
    count++
    if (count === 1) {
      log(`${signal}: shutting down (again to force)`)
      graceful()
    } else {
      log(`${signal}: closing every connection now`)
      force()
    }
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}
