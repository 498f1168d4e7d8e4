import { addAbortSignal } from 'node:stream'
import { lines, MAX_FRAME_LENGTH } from 'it-socket'
import { describeError } from './report.js'

/**
 * The chunks read from stdin until its end, or until `signal` fires: then stdin is destroyed (a
 * terminal would otherwise keep the process alive) and the generator ends quietly.
 */
export async function* readStdin(signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const stdin = process.stdin
  addAbortSignal(signal, stdin)
  try {
    for await (const chunk of stdin) yield chunk as Buffer
  } catch (err) {
    if (!signal.aborted) throw err
  }
}

/**
 * The lines of stdin, without `\n` (or `\r\n`), decoded with the library's `lines()` codec: a last
 * line without `\n` counts too. Lines are at most `MAX_FRAME_LENGTH` (1 MiB) of UTF-8; a longer line
 * or invalid UTF-8 fails with an error naming stdin.
 */
export async function* readStdinLines(signal: AbortSignal): AsyncGenerator<string> {
  const decoded = lines({ maxLength: MAX_FRAME_LENGTH }).decode(readStdin(signal))
  try {
    for (;;) {
      let result: IteratorResult<string>
      try {
        result = await decoded.next()
      } catch (err) {
        throw new Error(`cannot read stdin: ${describeError(err)}`, { cause: err })
      }
      if (result.done === true) return
      yield result.value
    }
  } finally {
    await decoded.return(undefined)
  }
}
