import { isIPv4, isIPv6, SocketAddress } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatIPv4, formatIPv6, scanIPv4, scanIPv6 } from '../../src/proxy/ip.js'
import { SEED } from '../framing/helpers.js'
import { deviates } from '../helpers/runtime.js'
import { canonicalIPv6 } from './canonical-ipv6.js'

const codes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0))
/** Whether our scanner takes all of `text` as a whole address. */
const accepts = (scan: typeof scanIPv4, text: string): boolean => {
  const result = scan(codes(text), 0, text.length)
  return result.value !== undefined && result.stop === text.length
}

/**
 * IPv6 text in any valid form: 8 groups (or 6 and an IPv4 tail), any run of them written as `::`,
 * upper or lower case, with or without leading zeros in groups.
 */
const validIPv6Arb = fc
  .record({
    groups: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    }),
    tail: fc.boolean(),
    cut: fc.option(fc.tuple(fc.nat(8), fc.nat(8))),
    upper: fc.boolean(),
    pad: fc.boolean(),
  })
  .map(({ groups, tail, cut, upper, pad }) => {
    const count = tail ? 6 : 8
    const hex = groups.slice(0, count).map((g) => {
      const text = pad ? g.toString(16).padStart(4, '0') : g.toString(16)
      return upper ? text.toUpperCase() : text
    })
    const v4 = tail
      ? [groups[6] as number, groups[7] as number].map((g) => `${g >> 8}.${g & 0xff}`).join('.')
      : ''
    if (cut === null) return tail ? `${hex.join(':')}:${v4}` : hex.join(':')
    // '::' stands for at least one group: groups [start, end) of the `count`.
    const start = cut[0] % count
    const end = start + 1 + (cut[1] % (count - start))
    const head = hex.slice(0, start).join(':')
    const rest = [...hex.slice(end), ...(tail ? [v4] : [])].join(':')
    return `${head}::${rest}`
  })
/** A valid address with one character inserted, deleted or replaced: invalid ones near the edge. */
const mutatedIPv6Arb = fc
  .tuple(
    validIPv6Arb,
    fc.nat(),
    fc.constantFrom('insert', 'delete', 'replace'),
    fc.constantFrom(...'0:.fF9%g'),
  )
  .map(([text, at, how, c]) => {
    const i = at % (text.length + 1)
    if (how === 'insert') return text.slice(0, i) + c + text.slice(i)
    if (how === 'delete') return text.slice(0, i) + text.slice(i + 1)
    return text.slice(0, i) + c + text.slice(i + 1)
  })
/** Strings that look like IPv6 addresses, valid or nearly: hex groups, colons, dots, decimal octets. */
const ipv6LikeArb = fc.oneof(
  validIPv6Arb,
  mutatedIPv6Arb,
  fc
    .array(
      fc.oneof(
        fc.integer({ min: 0, max: 0xfffff }).map((n) => n.toString(16)),
        fc.constantFrom(':', ':', '::', '.', '0', '00'),
        fc.integer({ min: 0, max: 300 }).map(String),
      ),
      { maxLength: 14 },
    )
    .map((tokens) => tokens.join('')),
)
const ipv4LikeArb = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('.', '0', '00')), {
    maxLength: 9,
  })
  .map((tokens) => tokens.join(''))

/** Every string of up to 3 of these: enough to complete any prefix that can still become an address. */
function completions(tokens: string[]): string[] {
  let out = ['']
  const all = ['']
  for (let depth = 0; depth < 3; depth++) {
    out = out.flatMap((s) => tokens.map((t) => s + t))
    all.push(...out)
  }
  return all
}
const V6_COMPLETIONS = completions(['0', ':', '::0', ':0:0:0:0:0:0:0', '.0', '.0.0.0', '0.0.0', ':0:0'])
const V4_COMPLETIONS = completions(['0', '.0', '.0.0.0', '.'])

describe('ip', () => {
  it('scanIPv6() accepts exactly what node:net isIPv6 accepts, zone ids aside (property)', () => {
    fc.assert(
      fc.property(ipv6LikeArb, (text) => {
        // isIPv6 takes anything after a '%' as a zone id; an address in a PROXY header has none.
        expect(accepts(scanIPv6, text), text).toBe(isIPv6(text) && !text.includes('%'))
      }),
      { seed: SEED, numRuns: 3000 },
    )
    expect(isIPv6('fe80::1%eth0')).toBe(true)
    expect(accepts(scanIPv6, 'fe80::1%eth0')).toBe(false)
  })

  it('scanIPv4() accepts exactly what node:net isIPv4 accepts (property)', () => {
    fc.assert(
      fc.property(ipv4LikeArb, (text) => {
        expect(accepts(scanIPv4, text), text).toBe(isIPv4(text))
      }),
      { seed: SEED, numRuns: 2000 },
    )
  })

  it('scanIPv6() fails only at a character after which no completion is an address (property)', () => {
    fc.assert(
      fc.property(ipv6LikeArb, (text) => {
        const scan = scanIPv6(codes(text), 0, text.length)
        if (scan.error === undefined) return
        const prefix = text.slice(0, scan.stop + 1)
        const completed = V6_COMPLETIONS.find((c) => isIPv6(prefix + c))
        expect(completed, `${prefix} + ${completed}`).toBeUndefined()
      }),
      { seed: SEED, numRuns: 1000 },
    )
  })

  it('scanIPv6() finds no error in any prefix of a valid address, in any of its forms (property)', () => {
    fc.assert(
      fc.property(validIPv6Arb, (text) => {
        expect(isIPv6(text), text).toBe(true)
        const bytes = codes(text)
        for (let k = 0; k <= text.length; k++)
          expect(scanIPv6(bytes, 0, k).error, text.slice(0, k)).toBeUndefined()
        expect(formatIPv6(scanIPv6(bytes, 0, text.length).value as Uint8Array, 0)).toBe(canonicalIPv6(text))
      }),
      { seed: SEED, numRuns: 1000 },
    )
  })

  it('scanIPv6() fails at the first character after which no completion is an address (property)', () => {
    fc.assert(
      fc.property(ipv6LikeArb, (text) => {
        // Every prefix the scanner lets through (up to the offending or first non-address character)
        // can still become an address.
        const scan = scanIPv6(codes(text), 0, text.length)
        for (let k = 0; k <= scan.stop; k++) {
          const prefix = text.slice(0, k)
          expect(
            V6_COMPLETIONS.some((c) => isIPv6(prefix + c)),
            `${prefix} cannot become an address`,
          ).toBe(true)
        }
      }),
      { seed: SEED, numRuns: 500 },
    )
  })

  it('scanIPv4() fails only at a character after which no completion is an address (property)', () => {
    fc.assert(
      fc.property(ipv4LikeArb, (text) => {
        const scan = scanIPv4(codes(text), 0, text.length)
        if (scan.error === undefined) return
        const prefix = text.slice(0, scan.stop + 1)
        expect(V4_COMPLETIONS.find((c) => isIPv4(prefix + c))).toBeUndefined()
      }),
      { seed: SEED, numRuns: 1000 },
    )
  })

  it('scanIPv4() fails at the first character after which no completion is an address (property)', () => {
    fc.assert(
      fc.property(ipv4LikeArb, (text) => {
        const scan = scanIPv4(codes(text), 0, text.length)
        for (let k = 0; k <= scan.stop; k++) {
          const prefix = text.slice(0, k)
          expect(
            V4_COMPLETIONS.some((c) => isIPv4(prefix + c)),
            `${prefix} cannot become an address`,
          ).toBe(true)
        }
      }),
      { seed: SEED, numRuns: 500 },
    )
  })

  // [text, index of the first character no valid address can have there, error]
  const earliest: Array<[string, number, 'BAD' | 'LEADING_ZERO']> = [
    ['::1:2:3:4:5:6:7:', 15, 'BAD'], // a 7th group after '::' leaves room for nothing more
    ['1:2:3:4:5:6:7::1', 15, 'BAD'], // '::' must stand for at least one group
    ['1:2:3:4:5:6:7:8:', 15, 'BAD'],
    [':1', 1, 'BAD'],
    [':::', 2, 'BAD'],
    ['1::2::', 5, 'BAD'],
    ['12345', 4, 'BAD'],
    ['::ffff:01.2.3.4', 9, 'LEADING_ZERO'], // "01" was a valid hex group until the '.'
    ['::ffff:1.02.3.4', 10, 'LEADING_ZERO'],
    ['::ffff:256.1.1.1', 10, 'BAD'],
    ['::ffff:a.1.1.1', 8, 'BAD'],
    ['::1.2.3.4.5', 9, 'BAD'],
    ['1:2:3:4:5:6:7:1.2.3.4', 15, 'BAD'], // an IPv4 tail takes two groups
    ['1:2:3:4:5:1.2.3.4', 11, 'BAD'],
    ['1:2:3:4:5:6::1.2.3.4', 14, 'BAD'],
    ['::1.2.3.4:1', 9, 'BAD'],
  ]
  for (const [text, index, error] of earliest) {
    it(`scanIPv6() fails at character ${index} of ${text}`, () => {
      expect(scanIPv6(codes(text), 0, text.length)).toEqual({ stop: index, error, value: undefined })
      expect(scanIPv6(codes(text), 0, index).error).toBeUndefined()
    })
  }

  it('scanIPv6() reads the same 16 bytes as Node.js, and formatIPv6() writes them as Node.js does (property)', () => {
    const groupsArb = fc.array(
      fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })),
      {
        minLength: 8,
        maxLength: 8,
      },
    )
    fc.assert(
      fc.property(groupsArb, (groups) => {
        const full = groups.map((g) => g.toString(16)).join(':')
        const scan = scanIPv6(codes(full), 0, full.length)
        expect(scan.value).toBeDefined()
        const bytes = scan.value as Uint8Array
        expect([...bytes]).toEqual(groups.flatMap((g) => [g >> 8, g & 0xff]))
        const node = canonicalIPv6(full)
        expect(formatIPv6(bytes, 0)).toBe(node)
        // And the canonical text reads back to the same bytes.
        expect([...(scanIPv6(codes(node), 0, node.length).value as Uint8Array)]).toEqual([...bytes])
      }),
      { seed: SEED, numRuns: 2000 },
    )
  })

  it('formatIPv6() writes IPv4-mapped and IPv4-compatible addresses with a dotted tail, as inet_ntop', () => {
    const cases: Array<[string, string]> = [
      ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
      ['0:0:0:0:0:0:c000:0201', '::192.0.2.1'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
      ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
      ['64:ff9b:0:0:0:0:c000:0201', '64:ff9b::c000:201'],
    ]
    for (const [full, expected] of cases) {
      const bytes = scanIPv6(codes(full), 0, full.length).value as Uint8Array
      expect(formatIPv6(bytes, 0), full).toBe(expected)
      expect(canonicalIPv6(full)).toBe(expected)
      // Bun's SocketAddress keeps the text as given (bun-socketaddress-verbatim); Deno's writes an
      // IPv4-compatible address in hex (deno-socketaddress-ipv4-compatible).
      expect(new SocketAddress({ address: full, family: 'ipv6' }).address).toBe(
        deviates('bun-socketaddress-verbatim')
          ? full
          : deviates('deno-socketaddress-ipv4-compatible') && expected === '::192.0.2.1'
            ? '::c000:201'
            : expected,
      )
    }
  })

  it('scanIPv4() and scanIPv6() stop at the first character that is not part of an address', () => {
    expect(scanIPv4(codes('10.0.0.1 x'), 0, 10)).toEqual({
      stop: 8,
      error: undefined,
      value: Uint8Array.of(10, 0, 0, 1),
    })
    expect(scanIPv6(codes('::1 x'), 0, 5)).toMatchObject({ stop: 3, error: undefined })
    expect(scanIPv6(codes('::1 x'), 0, 5).value?.[15]).toBe(1)
    expect(scanIPv4(codes('1.2.3.04'), 0, 8)).toEqual({ stop: 7, error: 'LEADING_ZERO', value: undefined })
    expect(formatIPv4(Uint8Array.of(9, 192, 0, 2, 1), 1)).toBe('192.0.2.1')
  })
})
