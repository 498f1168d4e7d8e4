import { readFileSync } from 'node:fs'
import { MAX_TIMER_MS } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { quote, UsageError, usageLine } from '../../src/cli/usage-error.js'
import { cli, killAll, root, usageError } from './helpers.js'

afterEach(killAll)

/** What main prints for a usage error: one line, then nothing (no stack, no cause, no hint lines). */
const ONE_LINE = /^it-socket: [^\n\r\v\f\u0085\u2028\u2029]+ \(see it-socket (listen |connect )?--help\)\n$/

/**
 * Every kind of command line that cannot run, with what its message must say. Each row goes through
 * `parseCommand` and `usageLine`, exactly what main does before it prints and exits 2; the rows in
 * SPAWNED also run the built command, to check main itself.
 */
const USAGE_ERRORS: Array<[args: string[], message: RegExp]> = [
  // commands
  [[], /missing command: expected listen or connect/],
  [['frobnicate'], /unknown command "frobnicate"/],
  [[''], /unknown command ""/],
  [['li\nsten'], /unknown command "li\\nsten"/],
  [['help', 'frobnicate'], /help: unknown command "frobnicate"/],
  [['help', 'listen', 'connect'], /help: unknown command "listen connect"/],
  // addresses and ports
  [['connect', '99999'], /bad port "99999": expected an integer from 1 to 65535/],
  [['connect', '0'], /bad port "0": expected an integer from 1 to 65535/],
  [['listen', '65536'], /bad port "65536": expected an integer from 0 to 65535/],
  [['connect', '1.5'], /bad port "1.5"/],
  [['connect', '0x10'], /bad port "0x10"/],
  [['connect', 'NaN'], /bad port "NaN"/],
  [['connect', '12\n34'], /bad port "12\\n34"/],
  [['listen', 'localhost:http'], /bad port "http"/],
  [['connect', 'host:'], /bad port ""/],
  [['connect', ':7788'], /bad address ":7788": the host before ":" is empty/],
  [['listen', '::1:7788'], /bad address "::1:7788": write an IPv6 address in brackets/],
  [['listen', '[::1]7788'], /bad address "\[::1\]7788": expected \[IPV6\]:PORT/],
  [['connect', '-1'], /unknown option '-1'/],
  // missing arguments
  [['listen'], /missing address: give \[HOST:\]PORT or --unix PATH/],
  [['connect', '--framing', 'lines'], /missing address/],
  [['connect', '7788', '--framing'], /option '--framing <value>' argument missing/],
  [['connect', '7788', '--until'], /option '--until <value>' argument missing/],
  [['listen', '--unix'], /option '--unix <value>' argument missing/],
  [['connect', '7788', '--timeout'], /option '--timeout <value>' argument missing/],
  // a value that looks like an option: parseArgs explains it over three lines
  [['connect', '127.0.0.1:9', '--timeout', '-5'], /--timeout needs a value, and "-5" looks like an option/],
  [['listen', '7788', '--framing', '--echo'], /--framing needs a value, and "--echo" looks like an option/],
  [['connect', '7788', '--until', '-bye'], /--until needs a value, and "-bye" looks like an option/],
  [['listen', '7788', '--idle-timeout', '-1'], /--idle-timeout needs a value, and "-1"/],
  // durations and counts
  [['connect', '7788', '--timeout=-5'], /bad --timeout "-5": expected milliseconds from 1 to 2147483647/],
  [['connect', '7788', '--timeout', '0'], /bad --timeout "0"/],
  [['connect', '7788', '--timeout', 'NaN'], /bad --timeout "NaN"/],
  [['connect', '7788', '--timeout', '1.5'], /bad --timeout "1.5"/],
  [['connect', '7788', '--timeout', '1e3'], /bad --timeout "1e3"/],
  [['connect', '7788', '--timeout', ''], /bad --timeout ""/],
  [['connect', '7788', '--timeout', String(MAX_TIMER_MS + 1)], /bad --timeout "2147483648"/],
  [['connect', '7788', '--udp', '--timeout', '0'], /bad --timeout "0"/],
  [['listen', '7788', '--idle-timeout', 'soon'], /bad --idle-timeout "soon": expected milliseconds/],
  [['listen', '7788', '--idle-timeout', '99999999999'], /bad --idle-timeout "99999999999"/],
  [['listen', '7788', '--max-connections', '0'], /bad --max-connections "0": expected a positive integer/],
  [['listen', '7788', '--max-connections=-1'], /bad --max-connections "-1"/],
  [['listen', '7788', '--max-connections', '99999999999999999999'], /bad --max-connections "9+"/],
  // unknown options, and options of the other command
  [['listen', '7788', '--bogus'], /unknown option '--bogus'/],
  [['connect', '7788', '-x'], /unknown option '-x'/],
  [['connect', '7788', '--echo'], /unknown option '--echo'/],
  [['connect', '7788', '--max-connections', '3'], /unknown option '--max-connections'/],
  [['listen', '7788', '--timeout', '5'], /unknown option '--timeout'/],
  [['listen', '7788', '--echo=yes'], /option '--echo' does not take an argument/],
  [['connect', '7788', '--help=1'], /option '-h, --help' does not take an argument/],
  [['connect', '--verbose=1', '7788'], /option '--verbose' does not take an argument/],
  // framings
  [['connect', '7788', '--framing', 'nope'], /unknown framing "nope": expected one of raw, lines, lp, /],
  [['connect', '7788', '--framing', 'lp:uint99'], /unknown framing "lp:uint99"/],
  [['connect', '7788', '--framing', 'fixed:0'], /bad framing "fixed:0": size must be a positive integer/],
  [['connect', '7788', '--framing', 'fixed:1.5'], /unknown framing "fixed:1.5"/],
  [['connect', '7788', '--framing', 'delim:'], /unknown framing "delim:"/],
  [['connect', '7788', '--framing', 'delim:\\q'], /bad framing "delim:\\q": .*unknown escape/],
  [
    ['connect', '7788', '--framing', 'json:json:lines'],
    /bad framing "json:json:lines": .*cannot wrap a json/,
  ],
  [['listen', '7788', '--framing', 'text:json:lines'], /bad framing "text:json:lines"/],
  [['listen', '7788', '--framing', 'json:'], /unknown framing "json:"/],
  [['listen', '7788', '--framing', 'no\npe'], /unknown framing "no\\npe"/],
  // conflicting arguments
  [['listen', '7788', '--unix', '/tmp/x.sock'], /give either \[HOST:\]PORT or --unix PATH, not both/],
  [['connect', '7788', '7789'], /unexpected argument "7789": give one address/],
  [['listen', '--unix', ''], /--unix: the path is empty/],
  // --udp with what UDP does not have
  [['listen', '7788', '--udp', '--until', 'bye'], /--until does not apply to --udp/],
  [['listen', '7788', '--udp', '--max-connections', '2'], /--max-connections does not apply to --udp/],
  [['listen', '7788', '--udp', '--idle-timeout', '5'], /--idle-timeout does not apply to --udp/],
  [['listen', '--udp', '--unix', '/tmp/x.sock'], /--udp and --unix cannot be combined/],
  [['connect', '--udp', '--unix', '/tmp/x.sock'], /--udp and --unix cannot be combined/],
  [
    ['connect', '7788', '--udp', '--framing', 'lp'],
    /framing "lp" does not apply to --udp: .*use raw or lines/,
  ],
  [['listen', '7788', '--udp', '--framing', 'json:lines'], /framing "json:lines" does not apply to --udp/],
  [['connect', '7788', '--udp', '--framing', 'delim:\n'], /framing "delim:\\n" does not apply to --udp/],
  [['connect', '0', '--udp'], /bad port "0"/],
  [['listen', '--udp'], /missing address/],
]

/** One row per source of messages: parseArgs (one line and three), ours, the framing library's. */
const SPAWNED = new Set([
  '[]',
  '["connect","127.0.0.1:9","--timeout","-5"]',
  '["listen","7788","--bogus"]',
  '["connect","12\\n34"]',
  '["connect","7788","--framing","json:json:lines"]',
  '["listen","7788","--udp","--until","bye"]',
])

describe('it-socket usage', () => {
  it('--version prints the version from package.json', async () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }
    const child = cli(['--version'])
    expect(await child.exited).toBe(0)
    expect(child.stdout()).toBe(`${pkg.version}\n`)
  })

  it.each([
    [['--help'], 'Usage: it-socket <command>'],
    [['help'], 'Usage: it-socket <command>'],
    [['listen', '--help'], 'Usage: it-socket listen'],
    [['help', 'listen'], 'Usage: it-socket listen'],
    [['connect', '-h'], 'Usage: it-socket connect'],
  ])('%j prints help with examples on stdout, exit 0', async (args, heading) => {
    const child = cli(args)
    expect(await child.exited).toBe(0)
    expect(child.stdout().startsWith(heading)).toBe(true)
    expect(child.stdout()).toContain('Examples:')
    expect(child.stderr()).toBe('')
  })

  it('unknown framing: exit 2, one line listing the valid framings', async () => {
    const child = cli(['connect', '7788', '--framing', 'nope'])
    expect(await child.exited).toBe(2)
    expect(child.stderr()).toMatch(
      /^it-socket: unknown framing "nope": expected one of raw, lines, lp, .*json:<spec>.*\n$/,
    )
    expect(child.stderr().split('\n')).toHaveLength(2)
  })
})

describe('usage errors: one line each', () => {
  it.each(USAGE_ERRORS)('%j is a usage error of one line, saying %s', (args, message) => {
    const line = `it-socket: ${usageLine(usageError(args))}\n`
    expect(line).toMatch(ONE_LINE)
    expect(line).toMatch(message)
  })

  it.each(USAGE_ERRORS.filter(([args]) => SPAWNED.has(JSON.stringify(args))))(
    'it-socket %j: exit 2, stdout empty, stderr the one line of usageLine()',
    async (args) => {
      const child = cli(args, '')
      expect(await child.exited).toBe(2)
      expect(child.stderr()).toBe(`it-socket: ${usageLine(usageError(args))}\n`)
      expect(child.stderr()).toMatch(ONE_LINE)
      expect(child.stdout()).toBe('')
    },
  )

  it('every row of SPAWNED is in the table', () => {
    const rows = new Set(USAGE_ERRORS.map(([args]) => JSON.stringify(args)))
    for (const row of SPAWNED) expect(rows, row).toContain(row)
  })

  it('usageLine() folds the line breaks of any message into spaces and points to the help', () => {
    const err = new UsageError('first line.\nsecond line?\r\n  third\u2028fourth\u0085fifth \n', 'connect')
    expect(usageLine(err)).toBe('first line. second line? third fourth fifth (see it-socket connect --help)')
    expect(usageLine(new UsageError('missing command'))).toBe('missing command (see it-socket --help)')
  })

  it('quote() shows control characters as escapes and leaves other text as it is', () => {
    expect(quote('a\nb\r\tc\u0000\u2028')).toBe('"a\\nb\\r\\tc\\u0000\\u2028"')
    expect(quote('delim:\\0 ünï')).toBe('"delim:\\0 ünï"')
  })
})
