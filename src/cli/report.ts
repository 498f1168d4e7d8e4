import { ItSocketError } from 'it-socket'

/** What a person can do about an error, by its `code`. */
const HINTS: Record<string, string> = {
  ERR_CONNECTION_REFUSED: 'is the server running?',
  ERR_ADDRESS_IN_USE: 'is another server running there? pick another port, or 0 for a free one',
  ERR_FRAME_TOO_LONG: 'the peer sent a frame larger than the framing allows',
}

/**
 * One line for a person: the error's message (it-socket's messages name the address or the limit),
 * plus a hint for the errors people hit most. Node.js system errors without a message of their own
 * get their code.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const message = firstLine(err.message) || err.name
  if (err instanceof ItSocketError) {
    const hint = HINTS[err.code]
    return hint === undefined ? message : `${message} (${hint})`
  }
  const code = (err as NodeJS.ErrnoException).code
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message
}

/**
 * The text printed for a failure: the one line of {@link describeError}, or, when `verbose`, the
 * stack and every `cause` below it.
 */
export function formatError(err: unknown, verbose: boolean): string {
  const line = describeError(err)
  if (!verbose || !(err instanceof Error)) return line
  const parts = [line, err.stack ?? '']
  for (let cause = err.cause, depth = 0; cause !== undefined && depth < 5; depth++) {
    parts.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`)
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return parts.join('\n')
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n')
  return newline < 0 ? text : text.slice(0, newline)
}
