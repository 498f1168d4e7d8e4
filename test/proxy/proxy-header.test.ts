import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ProxyProtocolError } from '../../src/errors.js'
import type {
  ProxyAddress,
  ProxyHeader,
  ProxyHeaderInit,
  ProxySslInfo,
  ProxyTlv,
  ProxyTlvs,
} from '../../src/proxy/proxy-header.js'
import { encodeProxyHeader, ProxyHeaderParser, parseProxyHeader } from '../../src/proxy/proxy-header.js'
import { SEED } from '../framing/helpers.js'
import { canonicalIPv6 } from './canonical-ipv6.js'

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'))

/** CRC32C bit by bit, straight from the definition: independent of the table-driven one under test. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

/** One TLV's bytes: type, 16-bit big-endian length, value. */
const tlv = (type: number, value: Uint8Array): Uint8Array =>
  concat(Uint8Array.of(type, value.length >> 8, value.length & 0xff), value)

const SIGNATURE = '0d0a0d0a000d0a515549540a'

/**
 * Asserts that every proper prefix of `header` is incomplete, then that it parses whole to `expected`:
 * each prefix afresh with `parseProxyHeader`, and all of them in turn through one `ProxyHeaderParser`.
 */
function expectParsesAtEverySplit(header: Uint8Array, expected: ProxyHeader, payload: Uint8Array): void {
  const parser = new ProxyHeaderParser()
  for (let k = 0; k < header.length; k++) {
    expect(parseProxyHeader(header.subarray(0, k)).status, `prefix of ${k} bytes`).toBe('incomplete')
    expect(parser.parse(header.subarray(0, k)).status, `prefix of ${k} bytes, one parser`).toBe('incomplete')
  }
  expect(parser.parse(header)).toEqual({ status: 'done', header: expected, length: header.length })
  expect(parseProxyHeader(header)).toEqual({ status: 'done', header: expected, length: header.length })
  const withPayload = concat(header, payload)
  const result = parseProxyHeader(withPayload)
  expect(result).toEqual({ status: 'done', header: expected, length: header.length })
  if (result.status === 'done') expect(hex(withPayload.subarray(result.length))).toBe(hex(payload))
}

// --- generators -------------------------------------------------------------------------------------

/**
 * IPv6 addresses as `inet_ntop` writes them, formatted by Node.js (not by the code under test) from
 * 8 groups biased towards zeros (so `::` runs of every length occur) and IPv4-mapped ones.
 */
const ipv6Arb: fc.Arbitrary<string> = fc
  .oneof(
    fc.array(fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    }),
    fc
      .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
      .map(([a, b]) => [0, 0, 0, 0, 0, 0xffff, a, b]),
  )
  .map((groups) => canonicalIPv6(groups.map((g) => g.toString(16)).join(':')))

const ipv4Arb: fc.Arbitrary<string> = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((octets) => octets.join('.'))

const portArb = fc.integer({ min: 0, max: 65535 })
const ipPairArb = (family: 'IPv4' | 'IPv6'): fc.Arbitrary<[ProxyAddress, ProxyAddress]> =>
  fc
    .tuple(family === 'IPv4' ? ipv4Arb : ipv6Arb, portArb, family === 'IPv4' ? ipv4Arb : ipv6Arb, portArb)
    .map(([a, p, b, q]) => [
      { address: a, port: p, family },
      { address: b, port: q, family },
    ])
/** Unix paths of up to 108 UTF-8 bytes, no NUL; `''` is an unnamed socket. */
const pathArb = fc
  .string({ unit: 'binary', maxLength: 40 })
  .map((s) => s.replaceAll('\0', ''))
  .filter((s) => utf8(s).length <= 108)
const unixPairArb: fc.Arbitrary<[ProxyAddress, ProxyAddress]> = fc
  .tuple(pathArb, pathArb)
  .map(([a, b]) => [{ path: a }, { path: b }])

const asciiArb = fc.string({ unit: fc.nat(0x7f).map((c) => String.fromCharCode(c)), maxLength: 24 })
const textArb = fc.string({ unit: 'binary', maxLength: 24 })

/** A generated TLV: the bytes to send, and what it adds to the parsed `tlvs`. */
type GeneratedTlv = { tlv: ProxyTlv; decoded: (tlvs: ProxyTlvs) => void }

const sslArb: fc.Arbitrary<GeneratedTlv> = fc
  .record({
    client: fc.nat(255),
    verify: fc.nat(0xffffffff),
    subs: fc.shuffledSubarray([0x21, 0x22, 0x23, 0x24, 0x25]),
    strings: fc.array(asciiArb, { minLength: 5, maxLength: 5 }),
    cn: textArb,
    unknown: fc.array(fc.tuple(fc.integer({ min: 0x26, max: 0xff }), fc.uint8Array({ maxLength: 8 })), {
      maxLength: 2,
    }),
  })
  .map(({ client, verify, subs, strings, cn, unknown }) => {
    const ssl: ProxySslInfo = { client, verify }
    const parts: Uint8Array[] = [Uint8Array.of(client, verify >>> 24, verify >>> 16, verify >>> 8, verify)]
    const keys = { 33: 'version', 34: 'cn', 35: 'cipher', 36: 'sigAlg', 37: 'keyAlg' } as const
    for (const sub of subs) {
      // CN is UTF-8, the others US-ASCII.
      const text = sub === 0x22 ? cn : (strings[sub - 0x21] as string)
      parts.push(tlv(sub, utf8(text)))
      ssl[keys[sub as keyof typeof keys]] = text
    }
    for (const [type, value] of unknown) parts.push(tlv(type, value))
    const value = concat(...parts)
    return {
      tlv: { type: 0x20, value },
      decoded: (tlvs: ProxyTlvs) => {
        tlvs.ssl = ssl
      },
    }
  })

/** The registered single-use TLVs, each with a valid value. */
const singleTlvArbs: Array<fc.Arbitrary<GeneratedTlv>> = [
  fc.uint8Array({ maxLength: 16 }).map((value) => ({
    tlv: { type: 0x01, value },
    decoded: (t: ProxyTlvs) => {
      t.alpn = value
    },
  })),
  textArb.map((text) => ({
    tlv: { type: 0x02, value: utf8(text) },
    decoded: (t: ProxyTlvs) => {
      t.authority = text
    },
  })),
  fc.uint8Array({ maxLength: 128 }).map((value) => ({
    tlv: { type: 0x05, value },
    decoded: (t: ProxyTlvs) => {
      t.uniqueId = value
    },
  })),
  sslArb,
  asciiArb.map((text) => ({
    tlv: { type: 0x30, value: utf8(text) },
    decoded: (t: ProxyTlvs) => {
      t.netns = text
    },
  })),
]
const REGISTERED = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x20, 0x30])
/** NOOP and unregistered types: may repeat, kept raw only. */
const repeatableTlvArb: fc.Arbitrary<GeneratedTlv> = fc
  .tuple(
    fc.oneof(
      fc.constant(0x04),
      fc.nat(255).filter((t) => !REGISTERED.has(t)),
    ),
    fc.uint8Array({ maxLength: 12 }),
  )
  .map(([type, value]) => ({ tlv: { type, value }, decoded: () => {} }))

const tlvListArb: fc.Arbitrary<{ generated: GeneratedTlv[]; crcAt: number }> = fc
  .tuple(
    fc
      .shuffledSubarray(singleTlvArbs)
      .chain(
        (arbs): fc.Arbitrary<GeneratedTlv[]> => (arbs.length === 0 ? fc.constant([]) : fc.tuple(...arbs)),
      ),
    fc.array(repeatableTlvArb, { maxLength: 4 }),
    fc.boolean(),
    fc.nat(),
  )
  .chain(([singles, repeatables, withCrc, seed]) =>
    fc
      .shuffledSubarray([...singles, ...repeatables], { minLength: singles.length + repeatables.length })
      .map((generated) => ({ generated, crcAt: withCrc ? seed % (generated.length + 1) : -1 })),
  )

/** A valid header to encode, and what parsing it must give. */
type Case = { init: ProxyHeaderInit; expected: ProxyHeader }

const v1Arb: fc.Arbitrary<Case> = fc.oneof(
  fc.constant<Case>({
    init: { version: 1 },
    expected: { version: 1, command: 'PROXY', tlvs: { raw: [] } },
  }),
  fc.constantFrom<'IPv4' | 'IPv6'>('IPv4', 'IPv6').chain((family) =>
    ipPairArb(family).map(
      ([source, destination]): Case => ({
        init: { version: 1, source, destination },
        expected: { version: 1, command: 'PROXY', transport: 'TCP', source, destination, tlvs: { raw: [] } },
      }),
    ),
  ),
)

const v2Arb: fc.Arbitrary<Case> = fc
  .record({
    command: fc.constantFrom<'PROXY' | 'LOCAL'>('PROXY', 'LOCAL'),
    family: fc.constantFrom('IPv4', 'IPv6', 'Unix', 'none'),
    transport: fc.constantFrom<'TCP' | 'UDP' | undefined>('TCP', 'UDP', undefined),
    tlvs: tlvListArb,
  })
  .chain(({ command, family, transport, tlvs }) => {
    const pair =
      command === 'LOCAL' || family === 'none'
        ? fc.constant(undefined)
        : family === 'Unix'
          ? unixPairArb
          : ipPairArb(family as 'IPv4' | 'IPv6')
    return pair.map((addresses): Case => {
      const list = tlvs.generated.map((g) => g.tlv)
      const expectedTlvs: ProxyTlvs = { raw: [] }
      for (const g of tlvs.generated) g.decoded(expectedTlvs)
      if (tlvs.crcAt >= 0) list.splice(tlvs.crcAt, 0, { type: 0x03, value: new Uint8Array(4) })
      const init: ProxyHeaderInit = { version: 2, command, tlvs: list }
      const expected: ProxyHeader = { version: 2, command, tlvs: expectedTlvs }
      if (addresses !== undefined) {
        init.source = addresses[0]
        init.destination = addresses[1]
        if (transport !== undefined) init.transport = transport
        expected.transport = transport ?? 'TCP'
        expected.source = addresses[0]
        expected.destination = addresses[1]
      }
      return { init, expected }
    })
  })

/**
 * Completes `expected` from the encoded header for what the test cannot know in advance: the CRC32C
 * the encoder computed (checked against the reference implementation) and the raw TLVs.
 */
function withChecksum(expected: ProxyHeader, init: ProxyHeaderInit, header: Uint8Array): ProxyHeader {
  const raw: ProxyTlv[] = []
  const blocks = { IPv4: 12, IPv6: 36 } as const
  const source = init.source
  let offset = 16 + (source === undefined ? 0 : 'path' in source ? 216 : blocks[source.family])
  for (const { type, value } of init.tlvs ?? []) {
    if (type === 0x03) {
      const zeroed = header.slice()
      zeroed.fill(0, offset + 3, offset + 7)
      const crc = referenceCrc32c(zeroed)
      expected.tlvs.crc32c = crc
      raw.push({ type, value: Uint8Array.of(crc >>> 24, crc >>> 16, crc >>> 8, crc) })
    } else {
      raw.push({ type, value })
    }
    offset += 3 + value.length
  }
  expected.tlvs.raw = raw
  return expected
}

describe('parseProxyHeader()', () => {
  it('parseProxyHeader() reads back any v1 header encodeProxyHeader() writes, at every split point (property)', () => {
    fc.assert(
      fc.property(v1Arb, fc.uint8Array({ maxLength: 20 }), ({ init, expected }, payload) => {
        const header = encodeProxyHeader(init)
        expect(header.length).toBeLessThanOrEqual(107)
        expectParsesAtEverySplit(header, expected, payload)
      }),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('parseProxyHeader() reads back any v2 header encodeProxyHeader() writes, at every split point (property)', () => {
    fc.assert(
      fc.property(v2Arb, fc.uint8Array({ maxLength: 20 }), ({ init, expected }, payload) => {
        const header = encodeProxyHeader(init)
        expectParsesAtEverySplit(header, withChecksum(expected, init, header), payload)
      }),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('parseProxyHeader() reads the v1 examples of the spec, and says where the payload starts', () => {
    const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'
    const result = parseProxyHeader(utf8(`${line}GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n`))
    expect(result).toEqual({
      status: 'done',
      header: {
        version: 1,
        command: 'PROXY',
        transport: 'TCP',
        source: { address: '192.168.0.1', port: 56324, family: 'IPv4' },
        destination: { address: '192.168.0.11', port: 443, family: 'IPv4' },
        tlvs: { raw: [] },
      },
      length: line.length,
    })
    // The longest line a receiver must take: 107 bytes, UNKNOWN with two full IPv6 addresses.
    const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'
    const longest = `PROXY UNKNOWN ${full} ${full} 65535 65535\r\n`
    expect(longest.length).toBe(107)
    expect(parseProxyHeader(utf8(longest))).toEqual({
      status: 'done',
      header: { version: 1, command: 'PROXY', tlvs: { raw: [] } },
      length: 107,
    })
    const tcp6 = `PROXY TCP6 ${full} ${full} 65535 65535\r\n`
    expect(tcp6.length).toBe(104)
    expect(parseProxyHeader(utf8(tcp6))).toMatchObject({ status: 'done', length: 104 })
  })

  // Valid but unusual: each must parse, to what the right column says.
  const validTable: Array<[string, Uint8Array, Partial<ProxyHeader>]> = [
    ['v1 PROXY UNKNOWN, short form', utf8('PROXY UNKNOWN\r\n'), { version: 1, command: 'PROXY' }],
    [
      'v1 PROXY UNKNOWN with fields, ignored',
      utf8('PROXY UNKNOWN 1.2.3.4 whatever 99999\r\n'),
      { version: 1, command: 'PROXY', source: undefined },
    ],
    [
      'v1 TCP6 with an IPv4-mapped address, upper-case hex, leading zeros in groups (canonicalised)',
      utf8('PROXY TCP6 ::FFFF:192.0.2.1 2001:0DB8:0000::0001 0 65535\r\n'),
      {
        source: { address: '::ffff:192.0.2.1', port: 0, family: 'IPv6' },
        destination: { address: '2001:db8::1', port: 65535, family: 'IPv6' },
      },
    ],
    [
      'v1 TCP4 with zeros: 0.0.0.0 and port 0',
      utf8('PROXY TCP4 0.0.0.0 255.255.255.255 0 0\r\n'),
      {
        source: { address: '0.0.0.0', port: 0, family: 'IPv4' },
        destination: { address: '255.255.255.255', port: 0, family: 'IPv4' },
      },
    ],
    [
      'v2 LOCAL, AF_UNSPEC, length 0 (HAProxy health check)',
      fromHex(`${SIGNATURE} 20 00 0000`),
      { version: 2, command: 'LOCAL', source: undefined, transport: undefined },
    ],
    [
      'v2 LOCAL with an AF_INET block: addresses ignored, TLVs after the block read',
      fromHex(`${SIGNATURE} 20 11 0012 7f000001 7f000002 0050 0051 04 0003 000000`),
      { command: 'LOCAL', source: undefined, tlvs: { raw: [{ type: 4, value: new Uint8Array(3) }] } },
    ],
    [
      'v2 PROXY AF_UNSPEC: no addresses, like v1 UNKNOWN',
      fromHex(`${SIGNATURE} 21 00 0000`),
      { command: 'PROXY', source: undefined, transport: undefined },
    ],
    [
      'v2 PROXY AF_UNSPEC over STREAM: the transport, no addresses',
      fromHex(`${SIGNATURE} 21 01 0000`),
      { command: 'PROXY', transport: 'TCP', source: undefined },
    ],
    [
      'v2 PROXY AF_INET with UNSPEC transport: block skipped, addresses ignored',
      fromHex(`${SIGNATURE} 21 10 000c 7f000001 7f000002 0050 0051`),
      { command: 'PROXY', transport: undefined, source: undefined },
    ],
    [
      'v2 UDP over IPv6',
      fromHex(
        `${SIGNATURE} 21 22 0024 20010db8000000000000000000000001 00000000000000000000000000000001 1234 0035`,
      ),
      {
        transport: 'UDP',
        source: { address: '2001:db8::1', port: 0x1234, family: 'IPv6' },
        destination: { address: '::1', port: 53, family: 'IPv6' },
      },
    ],
    [
      'v2 NOOP and unregistered TLVs repeat freely, kept raw in order',
      fromHex(`${SIGNATURE} 20 00 000f 04 0000 e0 0001 aa 04 0001 bb e0 0001 cc`),
      {
        tlvs: {
          raw: [
            { type: 0x04, value: new Uint8Array(0) },
            { type: 0xe0, value: Uint8Array.of(0xaa) },
            { type: 0x04, value: Uint8Array.of(0xbb) },
            { type: 0xe0, value: Uint8Array.of(0xcc) },
          ],
        },
      },
    ],
    [
      'v2 Unix path of 108 bytes without a terminating NUL',
      concat(fromHex(`${SIGNATURE} 21 31 00d8`), utf8('a'.repeat(108)), utf8('/b'), new Uint8Array(106)),
      { transport: 'TCP', source: { path: 'a'.repeat(108) }, destination: { path: '/b' } },
    ],
  ]
  for (const [what, bytes, expected] of validTable) {
    it(`parseProxyHeader() accepts ${what}`, () => {
      const result = parseProxyHeader(bytes)
      expect(result.status).toBe('done')
      if (result.status !== 'done') return
      expect(result.length).toBe(bytes.length)
      for (const [key, value] of Object.entries(expected)) {
        expect(result.header[key as keyof ProxyHeader], key).toEqual(value)
      }
    })
  }

  it('parseProxyHeader() reads a v2 header as HAProxy send-proxy-v2 writes it (TCP over IPv4, no TLVs)', () => {
    // The spec's example connection, 192.168.0.1:56324 -> 192.168.0.11:443, byte by byte.
    const wire = fromHex(`${SIGNATURE} 21 11 000c c0a80001 c0a8000b dc04 01bb`)
    const expected: ProxyHeader = {
      version: 2,
      command: 'PROXY',
      transport: 'TCP',
      source: { address: '192.168.0.1', port: 56324, family: 'IPv4' },
      destination: { address: '192.168.0.11', port: 443, family: 'IPv4' },
      tlvs: { raw: [] },
    }
    expect(parseProxyHeader(wire)).toEqual({ status: 'done', header: expected, length: 28 })
    expect(
      hex(encodeProxyHeader({ version: 2, source: expected.source, destination: expected.destination })),
    ).toBe(hex(wire))
  })

  it('parseProxyHeader() reads a v2 header with the TLVs of HAProxy proxy-v2-options crc32c,ssl,ssl-cn,authority', () => {
    // make_proxy_line_v2's order: CRC32C, ALPN, AUTHORITY, then SSL with VERSION, CN, KEY_ALG, SIG_ALG,
    // CIPHER; client = SSL | CERT_CONN | CERT_SESS, verify = 0. Checksum from the reference CRC32C.
    const ssl = concat(
      Uint8Array.of(0x07, 0, 0, 0, 0),
      tlv(0x21, utf8('TLSv1.3')),
      tlv(0x22, utf8('client.example')),
      tlv(0x25, utf8('RSA2048')),
      tlv(0x24, utf8('RSA-SHA256')),
      tlv(0x23, utf8('TLS_AES_256_GCM_SHA384')),
    )
    const body = concat(
      fromHex('20010db8000000000000000000000001 20010db8000000000000000000000002 c350 01bb'),
      tlv(0x03, new Uint8Array(4)),
      tlv(0x01, utf8('h2')),
      tlv(0x02, utf8('example.com')),
      tlv(0x20, ssl),
    )
    const wire = concat(
      fromHex(`${SIGNATURE} 21 21`),
      Uint8Array.of(body.length >> 8, body.length & 0xff),
      body,
    )
    const crcAt = 16 + 36 + 3
    const crc = referenceCrc32c(wire)
    wire.set([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff], crcAt)

    const result = parseProxyHeader(wire)
    expect(result.status).toBe('done')
    if (result.status !== 'done') return
    const { raw, ...decoded } = result.header.tlvs
    expect(decoded).toEqual({
      crc32c: crc,
      alpn: utf8('h2'),
      authority: 'example.com',
      ssl: {
        client: 7,
        verify: 0,
        version: 'TLSv1.3',
        cn: 'client.example',
        keyAlg: 'RSA2048',
        sigAlg: 'RSA-SHA256',
        cipher: 'TLS_AES_256_GCM_SHA384',
      },
    })
    expect(raw.map((t) => t.type)).toEqual([0x03, 0x01, 0x02, 0x20])
    expect(result.header.source).toEqual({ address: '2001:db8::1', port: 50000, family: 'IPv6' })
    // The encoder writes the same bytes from the same TLVs, checksum included.
    const encoded = encodeProxyHeader({
      version: 2,
      source: { address: '2001:db8::1', port: 50000, family: 'IPv6' },
      destination: { address: '2001:db8::2', port: 443, family: 'IPv6' },
      tlvs: [
        { type: 0x03, value: new Uint8Array(4) },
        { type: 0x01, value: utf8('h2') },
        { type: 0x02, value: utf8('example.com') },
        { type: 0x20, value: ssl },
      ],
    })
    expect(hex(encoded)).toBe(hex(wire))
  })

  it('parseProxyHeader() returns TLV values as views of the input, not copies', () => {
    const wire = encodeProxyHeader({
      version: 2,
      command: 'LOCAL',
      tlvs: [
        { type: 0x05, value: utf8('id-1') },
        { type: 0x01, value: utf8('h2') },
        { type: 0xe0, value: utf8('custom') },
      ],
    })
    const result = parseProxyHeader(wire)
    if (result.status !== 'done') throw new Error('not parsed')
    const { tlvs } = result.header
    for (const value of [tlvs.uniqueId, tlvs.alpn, ...tlvs.raw.map((t) => t.value)]) {
      expect(value?.buffer).toBe(wire.buffer)
    }
    expect(tlvs.raw).toHaveLength(3)
  })

  it('parseProxyHeader() with versions [2] refuses a v1 header at its first byte, and [1] a v2 one', () => {
    for (const [bytes, versions] of [
      [utf8('P'), [2]],
      [utf8('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), [2]],
      [Uint8Array.of(0x0d), [1]],
      [encodeProxyHeader({ version: 2, command: 'LOCAL' }), [1]],
    ] as const) {
      const err = catchError(() => parseProxyHeader(bytes, versions))
      expect(err).toBeInstanceOf(ProxyProtocolError)
      expect(err.code).toBe('ERR_PROXY_PROTOCOL')
      expect(err.reason).toBe('VERSION_NOT_ALLOWED')
    }
    expect(parseProxyHeader(utf8('PROXY UNKNOWN\r\n'), [1]).status).toBe('done')
    expect(parseProxyHeader(encodeProxyHeader({ version: 2, command: 'LOCAL' }), [2]).status).toBe('done')
    expect(parseProxyHeader(new Uint8Array(0), [2])).toEqual({ status: 'incomplete' })
  })

  it('ProxyHeaderParser checks each byte once: the largest v2 header, fed one byte at a time, in linear time', () => {
    // 21,845 empty NOOP TLVs: parsing every prefix afresh would walk ~700 million TLVs (tens of seconds).
    const tlvs = Array.from({ length: 21_845 }, () => ({ type: 0x04, value: new Uint8Array(0) }))
    const header = encodeProxyHeader({ version: 2, command: 'LOCAL', tlvs })
    expect(header.length).toBe(65_551)
    const parser = new ProxyHeaderParser([2])
    const started = performance.now()
    for (let k = 0; k < header.length; k++)
      expect(parser.parse(header.subarray(0, k)).status).toBe('incomplete')
    const result = parser.parse(header)
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(result.status === 'done' && result.header.tlvs.raw.length).toBe(21_845)
  })

  it('ProxyHeaderParser.parse() refuses fewer bytes than it was given before', () => {
    const parser = new ProxyHeaderParser()
    expect(parser.parse(utf8('PROXY TCP4 ')).status).toBe('incomplete')
    expect(() => parser.parse(utf8('PROXY'))).toThrow(RangeError)
  })

  it('ProxyHeaderParser.parse() throws the same error again once it has thrown', () => {
    // A CRC32C TLV of 5 bytes: TLV_BAD_LENGTH (a second look must not see a duplicate CRC32C).
    const wire = fromHex(`${SIGNATURE} 20 00 0008 03 0005 0000000000`)
    const parser = new ProxyHeaderParser()
    const first = catchError(() => parser.parse(wire.subarray(0, 19)))
    expect(first.reason).toBe('TLV_BAD_LENGTH')
    expect(catchError(() => parser.parse(wire))).toBe(first)
  })

  it('parseProxyHeader() throws TypeError or RangeError for bad arguments', () => {
    expect(() => parseProxyHeader('PROXY' as unknown as Uint8Array)).toThrow(TypeError)
    expect(() => parseProxyHeader(utf8('P'), [])).toThrow(RangeError)
    expect(() => parseProxyHeader(utf8('P'), [3 as 1])).toThrow(RangeError)
    expect(() => parseProxyHeader(utf8('P'), '1' as unknown as [1])).toThrow(TypeError)
    expect(() => new ProxyHeaderParser([])).toThrow(RangeError)
  })
})

function catchError(fn: () => unknown): ProxyProtocolError {
  try {
    fn()
  } catch (err) {
    return err as ProxyProtocolError
  }
  throw new Error('did not throw')
}
