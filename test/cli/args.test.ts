import { describe, expect, it } from 'vitest'
import { parseAddress } from '../../src/cli/address.js'
import { parseCommand } from '../../src/cli/args.js'
import { UsageError } from '../../src/cli/usage-error.js'

describe('parseAddress()', () => {
  it.each([
    ['7788', { host: undefined, port: 7788 }],
    ['localhost:7788', { host: 'localhost', port: 7788 }],
    ['10.0.0.2:1', { host: '10.0.0.2', port: 1 }],
    ['[::1]:7788', { host: '::1', port: 7788 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
  ])('parseAddress(%j) reads HOST and PORT', (text, expected) => {
    expect(parseAddress(text, { allowZero: true })).toEqual(expected)
  })

  it.each(['', 'abc', '65536', '-1', '1.5', ':7788', '::1:7788', '[::1]7788', 'host:', '0x10'])(
    'parseAddress(%j) fails with UsageError',
    (text) => {
      expect(() => parseAddress(text, { allowZero: true })).toThrow(UsageError)
    },
  )

  it('parseAddress() refuses port 0 unless allowZero', () => {
    expect(() => parseAddress('0', { allowZero: false })).toThrow(/from 1 to 65535/)
  })
})

describe('parseCommand()', () => {
  it('listen: defaults to raw framing, print mode, host left to the command (127.0.0.1)', () => {
    const command = parseCommand(['listen', '7788'])
    expect(command.name).toBe('listen')
    if (command.name !== 'listen') return
    expect(command.options).toMatchObject({ target: { host: undefined, port: 7788 }, echo: false })
    expect(command.options.framing.spec).toBe('raw')
  })

  it('connect --udp defaults to lines, and --timeout is how long to wait for datagrams after stdin ends', () => {
    const command = parseCommand(['connect', '7788', '--udp', '--timeout', '250'])
    expect(command.name).toBe('udp-connect')
    if (command.name !== 'udp-connect') return
    expect(command.options.framing.spec).toBe('lines')
    expect(command.options.linger).toBe(250)
  })

  it('options may come before the address', () => {
    const command = parseCommand(['listen', '--echo', '--framing', 'lp:uint32be', '[::1]:0'])
    expect(command).toMatchObject({
      name: 'listen',
      options: { echo: true, target: { host: '::1', port: 0 } },
    })
  })

  it('a usage error names its command, for the --help hint', () => {
    expect(() => parseCommand(['connect', 'x'])).toThrow(expect.objectContaining({ command: 'connect' }))
  })
})
