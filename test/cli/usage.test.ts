import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { cli, killAll, root } from './helpers.js'

afterEach(killAll)

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

  it.each([
    [['connect', '99999'], /bad port "99999": expected an integer from 1 to 65535/],
    [['connect', '0'], /bad port "0"/],
    [['listen', 'localhost:http'], /bad port "http"/],
    [['listen', '::1:7788'], /in brackets/],
    [['listen'], /missing address/],
    [['listen', '7788', '--unix', '/tmp/x.sock'], /not both/],
    [['listen', '7788', '--bogus'], /unknown option '--bogus'/],
    [['listen', '7788', '--max-connections', '0'], /--max-connections "0"/],
    [['listen', '7788', '--udp', '--until', 'bye'], /--until does not apply to --udp/],
    [['connect', '7788', '--udp', '--framing', 'lp'], /use raw or lines/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /missing command/],
  ])('%j: usage error, exit 2 and one line', async (args, message) => {
    const child = cli(args)
    expect(await child.exited).toBe(2)
    expect(child.stderr()).toMatch(message)
    expect(child.stderr()).toMatch(/^it-socket: [^\n]+\(see it-socket [a-z ]*--help\)\n$/)
    expect(child.stdout()).toBe('')
  })
})
