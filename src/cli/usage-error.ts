/**
 * Thrown for a command line that cannot be run: an unknown option, a bad port, an unknown framing.
 * `main` prints it with {@link usageLine} and exits with status 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'

  /**
   * @param message what is wrong, for a person: `bad port "abc": expected an integer from 1 to 65535`
   * @param command the subcommand whose `--help` the message points to
   */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message)
  }
}

/**
 * The one line printed for a usage error (docs/CLI.md promises one): the message, then where help
 * is. Line breaks are folded into spaces here, whatever made them (Node's `parseArgs` explains some
 * errors over three lines; a library message could too), so no message can break the promise.
 */
export function usageLine(err: UsageError): string {
  const help = err.command === undefined ? 'it-socket --help' : `it-socket ${err.command} --help`
  return `${err.message.replace(LINE_BREAKS, ' ').trim()} (see ${help})`
}

/** Line breaks (LF, CR, VT, FF, NEL, the Unicode separators) and the blanks around them. */
const LINE_BREAKS = /\s*[\n\r\v\f\u0085\u2028\u2029]+\s*/g

/**
 * Text from the command line in double quotes, for a usage message: control characters (a newline
 * typed as `$'a\nb'`) are shown as escapes, so the message stays one line and shows what was given.
 */
export function quote(text: string): string {
  return `"${text.replace(CONTROL, (char) => ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g
