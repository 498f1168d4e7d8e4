/**
 * How a client process talks to the orchestrator: one JSON object per line on stdout, and at each
 * event a wait for the orchestrator's go-ahead, one line on stdin (`client.ts`, `scale-client.ts`).
 *
 * @module
 */

import { createInterface } from 'node:readline'

/** Prints `line` as one line of JSON on stdout. */
export function emit(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

/**
 * A function that prints an event, then resolves on the next line on stdin. The orchestrator going
 * away (stdin closed) ends the process with status 2.
 */
export function stdinRendezvous<E>(): (event: E) => Promise<void> {
  const input = createInterface({ input: process.stdin })
  const waiting: Array<() => void> = []
  input.on('line', () => waiting.shift()?.())
  input.on('close', () => process.exit(2))
  return (event) =>
    new Promise<void>((resolve) => {
      waiting.push(resolve)
      emit(event)
    })
}
