import { debuglog } from 'node:util'

/** Debug lines, shown with `NODE_DEBUG=it-socket`; `debug.enabled` also turns on stack traces. */
export const debug = debuglog('it-socket')

let prefix = 'it-socket: '

/** Puts `tag` after the `it-socket: ` of every line from now on (`[worker 2] `, in a worker). */
export function tagLog(tag: string): void {
  prefix = `it-socket: ${tag} `
}

/**
 * Writes one line to stderr, prefixed with `it-socket: `. Everything that is not data (listening,
 * connections opening and closing, errors) goes here, so stdout carries only the messages.
 */
export function log(line: string): void {
  process.stderr.write(`${prefix}${line}\n`)
}
