import { describe, expect, it } from 'vitest'
import { parseFraming } from '../../src/cli/framing.js'
import { formatMessage, parseLine } from '../../src/cli/messages.js'

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const bytes = (s: string) => new TextEncoder().encode(s)

describe('formatMessage()', () => {
  it('raw chunks are printed as they are, without a newline', () => {
    expect(text(formatMessage(parseFraming('raw', 'x'), bytes('ab')))).toBe('ab')
  })

  it('a prefixed raw chunk ends its line unless it already does', () => {
    const raw = parseFraming('raw', 'x')
    expect(text(formatMessage(raw, bytes('ab'), '[p] '))).toBe('[p] ab\n')
    expect(text(formatMessage(raw, bytes('ab\n'), '[p] '))).toBe('[p] ab\n')
  })

  it('bytes, text and json messages are printed one per line', () => {
    expect(text(formatMessage(parseFraming('lp', 'x'), bytes('ab')))).toBe('ab\n')
    expect(text(formatMessage(parseFraming('lines', 'x'), 'ab', '[p] '))).toBe('[p] ab\n')
    expect(text(formatMessage(parseFraming('json:lines', 'x'), { a: [1, 'b'] }))).toBe('{"a":[1,"b"]}\n')
  })
})

describe('parseLine()', () => {
  it('a line is bytes, a string or a JSON value, by the framing kind', () => {
    expect(parseLine(parseFraming('lp', 'x'), 'é')).toEqual(bytes('é'))
    expect(parseLine(parseFraming('lines', 'x'), 'é')).toBe('é')
    expect(parseLine(parseFraming('json:lp', 'x'), '{"a":1}')).toEqual({ a: 1 })
  })

  it('a line that is not JSON fails with SyntaxError saying so', () => {
    expect(() => parseLine(parseFraming('json:lines', 'x'), '{oops')).toThrow(/^not JSON: /)
  })
})
