import { parseArgs } from 'node:util'
import { MAX_TIMER_MS } from 'it-socket'
import { parseAddress } from './address.js'
import type { ConnectCommandOptions } from './connect-command.js'
import { type Framing, parseFraming } from './framing.js'
import { helpFor } from './help.js'
import type { ListenCommandOptions } from './listen-command.js'
import { LISTEN_PROXY_OPTIONS, listenProxy, rejectProxyFlags } from './proxy-flags.js'
import { DEFAULT_STATS_SECONDS, MAX_STATS_SECONDS } from './stats.js'
import type { Target } from './target.js'
import {
  CONNECT_TLS_OPTIONS,
  connectTls,
  LISTEN_TLS_OPTIONS,
  listenTls,
  rejectTlsFlags,
} from './tls-flags.js'
import { UDP_LINGER, type UdpConnectCommandOptions } from './udp-connect-command.js'
import type { UdpListenCommandOptions } from './udp-listen-command.js'
import { quote, UsageError } from './usage-error.js'
import { MAX_WORKERS } from './workers.js'

/** What the command line asks for. */
export type Command =
  | { name: 'help'; text: string }
  | { name: 'version' }
  | { name: 'listen'; verbose: boolean; options: ListenCommandOptions }
  | { name: 'udp-listen'; verbose: boolean; options: UdpListenCommandOptions }
  | { name: 'connect'; verbose: boolean; options: ConnectCommandOptions }
  | { name: 'udp-connect'; verbose: boolean; options: UdpConnectCommandOptions }

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
  framing: { type: 'string' },
  until: { type: 'string' },
  unix: { type: 'string' },
  udp: { type: 'boolean' },
} as const

/** The options of `it-socket listen`, for `util.parseArgs`. */
export const LISTEN_OPTIONS = {
  ...COMMON,
  echo: { type: 'boolean' },
  'max-connections': { type: 'string' },
  'idle-timeout': { type: 'string' },
  workers: { type: 'string' },
  // `--stats [SECONDS]`: the value is optional, see expandStats.
  stats: { type: 'string' },
  ...LISTEN_PROXY_OPTIONS,
  ...LISTEN_TLS_OPTIONS,
} as const

/** The options of `it-socket connect`, for `util.parseArgs`. */
export const CONNECT_OPTIONS = { ...COMMON, timeout: { type: 'string' }, ...CONNECT_TLS_OPTIONS } as const

/**
 * Parses the arguments after `it-socket` (`process.argv.slice(2)`).
 * @throws {UsageError} for anything that cannot run; `main` prints it and exits with status 2
 */
export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv
  switch (first) {
    case 'listen':
      return parseListen(rest)
    case 'connect':
      return parseConnect(rest)
    case 'help':
      if (rest.length > 1 || (rest[0] !== undefined && !['listen', 'connect'].includes(rest[0]))) {
        throw new UsageError(`help: unknown command ${quote(rest.join(' '))}: expected listen or connect`)
      }
      return { name: 'help', text: helpFor(rest[0]) }
    case '-h':
    case '--help':
      return { name: 'help', text: helpFor(undefined) }
    case '-V':
    case '--version':
      return { name: 'version' }
    case undefined:
      throw new UsageError('missing command: expected listen or connect')
    default:
      throw new UsageError(`unknown command ${quote(first)}: expected listen or connect`)
  }
}

function parseListen(args: string[]): Command {
  const { args: expanded, statsTook } = expandStats(args)
  const { values, positionals } = parse('listen', expanded, LISTEN_OPTIONS)
  if (values.help === true) return { name: 'help', text: helpFor('listen') }
  const verbose = values.verbose === true
  const echo = values.echo === true
  if (values.udp === true) {
    if (values.workers !== undefined) {
      throw new UsageError('--workers does not apply to --udp: a UDP server runs in one process', 'listen')
    }
    for (const option of ['until', 'max-connections', 'idle-timeout', 'stats'] as const) {
      if (values[option] !== undefined) {
        throw new UsageError(`--${option} does not apply to --udp: UDP has no connections`, 'listen')
      }
    }
    rejectProxyFlags(values)
    rejectTlsFlags('listen', values)
    const { host, port } = udpAddress('listen', values.unix, positionals, true)
    return {
      name: 'udp-listen',
      verbose,
      options: { host, port, echo, verbose, framing: udpFraming('listen', values.framing) },
    }
  }
  const where = target('listen', values.unix, positionals, true, statsTook)
  const framing = parseFraming(values.framing ?? 'raw', 'listen')
  return {
    name: 'listen',
    verbose,
    options: {
      target: where,
      framing,
      echo,
      until: values.until,
      maxConnections: positiveInteger('listen', '--max-connections', values['max-connections']),
      idleTimeout: milliseconds('listen', '--idle-timeout', values['idle-timeout']),
      workers:
        integer('listen', '--workers', values.workers, MAX_WORKERS, `a number from 1 to ${MAX_WORKERS}`) ?? 1,
      statsInterval: statsInterval(values.stats),
      proxyProtocol: listenProxy(values, where),
      // Last: the files are read once everything else on the command line is known to be right.
      tls: listenTls(values, where),
      verbose,
    },
  }
}

function parseConnect(args: string[]): Command {
  const { values, positionals } = parse('connect', args, CONNECT_OPTIONS)
  if (values.help === true) return { name: 'help', text: helpFor('connect') }
  const verbose = values.verbose === true
  const timeout = milliseconds('connect', '--timeout', values.timeout)
  if (values.udp === true) {
    rejectTlsFlags('connect', values)
    const { host, port } = udpAddress('connect', values.unix, positionals, false)
    return {
      name: 'udp-connect',
      verbose,
      options: {
        host,
        port,
        framing: udpFraming('connect', values.framing),
        until: values.until,
        linger: timeout ?? UDP_LINGER,
      },
    }
  }
  const where = target('connect', values.unix, positionals, false)
  const framing = parseFraming(values.framing ?? 'raw', 'connect')
  return {
    name: 'connect',
    verbose,
    options: {
      target: where,
      framing,
      until: values.until,
      timeout,
      // Last: the files are read once everything else on the command line is known to be right.
      tls: connectTls(values, where),
      verbose,
    },
  }
}

type Options = typeof LISTEN_OPTIONS | typeof CONNECT_OPTIONS

/** `util.parseArgs`, strict, with its errors turned into usage errors of one sentence. */
function parse<T extends Options>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(parseArgsMessage(err, args), command)
  }
}

/**
 * The message for an error of `util.parseArgs`. Its messages go on, over several sentences and
 * sometimes lines, to explain `--`; the first sentence says what is wrong. The one that needs more
 * is a value that looks like an option (`--timeout -5`): that gets its own message, with the fix.
 */
function parseArgsMessage(err: unknown, args: string[]): string {
  if (!(err instanceof Error)) return String(err)
  const ambiguous = /^Option '(--?[^']+)' argument is ambiguous/.exec(err.message)
  const option = ambiguous?.[1]
  const at = args.findIndex((arg, i) => arg === option && args[i + 1]?.startsWith('-'))
  const value = args[at + 1]
  if (option !== undefined && at >= 0 && value !== undefined) {
    return `${option} needs a value, and ${quote(value)} looks like an option: write ${option}=${value} if it is the value`
  }
  const sentence = err.message.replace(/\.\s.*$/s, '')
  return sentence.charAt(0).toLowerCase() + sentence.slice(1)
}

/**
 * The address: `[HOST:]PORT` or `--unix PATH`, exactly one. `statsTook` is the separate token
 * `--stats` took as its interval, if any: named when the address is missing (`listen --stats 7788`).
 */
function target(
  command: string,
  unix: string | undefined,
  positionals: string[],
  listening: boolean,
  statsTook?: string,
): Target {
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument ${quote(positionals[1] ?? '')}: give one address`, command)
  }
  const [address] = positionals
  if (unix !== undefined) {
    if (address !== undefined) {
      throw new UsageError(`give either [HOST:]PORT or --unix PATH, not both`, command)
    }
    if (unix === '') throw new UsageError('--unix: the path is empty', command)
    return { path: unix }
  }
  if (address === undefined) {
    const took =
      statsTook === undefined
        ? ''
        : `; --stats took ${quote(statsTook)} as its interval: put the address first, or write --stats=SECONDS`
    throw new UsageError(`missing address: give [HOST:]PORT or --unix PATH${took}`, command)
  }
  try {
    return parseAddress(address, { allowZero: listening })
  } catch (err) {
    throw err instanceof UsageError ? new UsageError(err.message, command) : err
  }
}

function udpAddress(command: string, unix: string | undefined, positionals: string[], listening: boolean) {
  if (unix !== undefined) throw new UsageError('--udp and --unix cannot be combined', command)
  const address = target(command, undefined, positionals, listening)
  if (address.path !== undefined) throw new Error('unreachable')
  return address
}

/** Under `--udp` each datagram is one message: only `raw` and `lines` (the default) make sense. */
function udpFraming(command: string, spec: string | undefined): Framing {
  const framing = parseFraming(spec ?? 'lines', command)
  if (framing.spec !== 'raw' && framing.spec !== 'lines') {
    throw new UsageError(
      `framing ${quote(framing.spec)} does not apply to --udp: each datagram is one message (use raw or lines)`,
      command,
    )
  }
  return framing
}

/** What may be the value of `--stats` given as the next token: a sign, a digit or a point first. */
const NUMBER_LIKE = /^[-+]?\.?\d/

/**
 * `--stats [SECONDS]`: `util.parseArgs` has no option with an optional value, so before it runs a
 * bare `--stats` becomes `--stats=10`, and `--stats N` becomes `--stats=N` when N looks like a
 * number (then it is validated as the interval, `--stats -5` included). So `--stats` may be followed
 * by another option, the address, or nothing; `--stats=N` always works. Arguments after `--` are left
 * alone. Returns the arguments, and the token taken as the interval, if one was.
 */
function expandStats(args: string[]): { args: string[]; statsTook: string | undefined } {
  const out: string[] = []
  let statsTook: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--') {
      out.push(...args.slice(i))
      break
    }
    if (arg !== '--stats') {
      out.push(arg)
      continue
    }
    const next = args[i + 1]
    if (next !== undefined && NUMBER_LIKE.test(next)) {
      statsTook = next
      out.push(`--stats=${next}`)
      i++
    } else {
      out.push(`--stats=${DEFAULT_STATS_SECONDS}`)
    }
  }
  return { args: out, statsTook }
}

/** `--stats` seconds (decimals allowed) as milliseconds: 0.001 to {@link MAX_STATS_SECONDS} s. */
function statsInterval(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const seconds = /^(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : Number.NaN
  if (!(seconds >= 0.001 && seconds <= MAX_STATS_SECONDS)) {
    throw new UsageError(
      `bad --stats ${quote(text)}: expected seconds from 0.001 to ${MAX_STATS_SECONDS} (a day)`,
      'listen',
    )
  }
  return Math.round(seconds * 1000)
}

/** A count option (`--max-connections`): a positive safe integer. */
function positiveInteger(command: string, name: string, text: string | undefined): number | undefined {
  return integer(command, name, text, Number.MAX_SAFE_INTEGER, 'a positive integer')
}

/** A duration option in milliseconds: 1 to {@link MAX_TIMER_MS}. */
function milliseconds(command: string, name: string, text: string | undefined): number | undefined {
  return integer(command, name, text, MAX_TIMER_MS, `milliseconds from 1 to ${MAX_TIMER_MS}`)
}

/** Decimal digits only (no sign, point, exponent or blank), from 1 to `max`; else a usage error. */
function integer(
  command: string,
  name: string,
  text: string | undefined,
  max: number,
  expected: string,
): number | undefined {
  if (text === undefined) return undefined
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(Number.isSafeInteger(value) && value >= 1 && value <= max)) {
    throw new UsageError(`bad ${name} ${quote(text)}: expected ${expected}`, command)
  }
  return value
}
