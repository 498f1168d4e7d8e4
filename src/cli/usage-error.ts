/**
 * Thrown for a command line that cannot be run: an unknown option, a bad port, an unknown framing.
 * `main` prints its message as one line and exits with status 2.
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
