#!/usr/bin/env node
/**
 * The `it-socket` command: `listen` and `connect` over TCP (optionally TLS), Unix and UDP sockets,
 * with framing.
 * Uses it-socket's public API only. Exit status: 0 done, 1 runtime error, 2 usage error
 * (docs/CLI.md).
 *
 * @module
 */
import { type Command, parseCommand } from './args.js'
import { connectCommand } from './connect-command.js'
import { type ListenCommandOptions, listenCommand } from './listen-command.js'
import { debug, log, tagLog } from './log.js'
import { formatError } from './report.js'
import { udpConnectCommand } from './udp-connect-command.js'
import { udpListenCommand } from './udp-listen-command.js'
import { UsageError, usageLine } from './usage-error.js'
import { readVersion } from './version.js'
import { leavePrimary, onPrimaryShutdown, workerSlot } from './worker-shutdown.js'
import { runWorkers } from './workers.js'

/** Exit status of a command that could not run as written. */
export const EXIT_USAGE = 2

/** Exit status of a runtime failure: refused, address in use, a connection that failed. */
export const EXIT_FAILURE = 1

/** Runs the command line `argv` (without `node` and the script); resolves with the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let command: Command
  try {
    command = parseCommand(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`it-socket: ${usageLine(err)}\n`)
    return EXIT_USAGE
  }
  if (command.name === 'help') {
    process.stdout.write(command.text)
    return 0
  }
  if (command.name === 'version') {
    process.stdout.write(`${readVersion()}\n`)
    return 0
  }
  try {
    return await run(command)
  } catch (err) {
    // Certificate files that were read but that OpenSSL refused: known only once the command runs.
    if (err instanceof UsageError) {
      process.stderr.write(`it-socket: ${usageLine(err)}\n`)
      return EXIT_USAGE
    }
    log(formatError(err, command.verbose || debug.enabled))
    return EXIT_FAILURE
  }
}

function run(command: Exclude<Command, { name: 'help' | 'version' }>): Promise<number> {
  switch (command.name) {
    case 'listen':
      return command.options.workers > 1 ? listenWorkers(command.options) : listenCommand(command.options)
    case 'udp-listen':
      return udpListenCommand(command.options)
    case 'connect':
      return connectCommand(command.options)
    case 'udp-connect':
      return udpConnectCommand(command.options)
  }
}

/**
 * `listen --workers N`: the primary forks the workers; each worker (the same command line, forked
 * with `IT_SOCKET_WORKER` set) serves as one process would, tagged and stopped by the primary.
 */
async function listenWorkers(options: ListenCommandOptions): Promise<number> {
  const slot = workerSlot()
  if (slot === undefined) return runWorkers(options.workers)
  tagLog(`[worker ${slot}]`)
  try {
    return await listenCommand(options, onPrimaryShutdown)
  } finally {
    await leavePrimary()
  }
}

// The reader of our stdout went away (`it-socket connect ... | head -1`): nothing more can be
// printed, so stop quietly, as other command-line tools do on SIGPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err
  debug('stdout closed (EPIPE): exiting')
  process.exit(process.exitCode ?? 0)
})

process.exitCode = await main(process.argv.slice(2))
