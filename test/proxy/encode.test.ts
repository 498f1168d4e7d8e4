import { describe, expect, it } from 'vitest'
import type { ProxyAddress, ProxyHeaderInit } from '../../src/proxy/proxy-header.js'
import { encodeProxyHeader, parseProxyHeader } from '../../src/proxy/proxy-header.js'

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')
const v4 = (address: string, port = 1): ProxyAddress => ({ address, port, family: 'IPv4' })
const v6 = (address: string, port = 1): ProxyAddress => ({ address, port, family: 'IPv6' })

describe('encodeProxyHeader()', () => {
  it('encodeProxyHeader() writes v1 lines as the spec shows them', () => {
    expect(
      text(
        encodeProxyHeader({
          version: 1,
          source: v4('192.168.0.1', 56324),
          destination: v4('192.168.0.11', 443),
        }),
      ),
    ).toBe('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n')
    expect(text(encodeProxyHeader({ version: 1 }))).toBe('PROXY UNKNOWN\r\n')
    expect(
      text(
        encodeProxyHeader({
          version: 1,
          command: 'PROXY',
          transport: 'TCP',
          source: v6('::1'),
          destination: v6('::2'),
        }),
      ),
    ).toBe('PROXY TCP6 ::1 ::2 1 1\r\n')
  })

  it('encodeProxyHeader() writes addresses as inet_ntop does', () => {
    const line = text(
      encodeProxyHeader({
        version: 1,
        source: v6('2001:0DB8:0000:0000:0000:0000:0000:0001'),
        destination: v6('0:0:0:0:0:FFFF:c000:0201'),
      }),
    )
    expect(line).toBe('PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 1 1\r\n')
  })

  it('encodeProxyHeader() writes a v2 LOCAL header as HAProxy does for health checks: 16 bytes', () => {
    expect(Buffer.from(encodeProxyHeader({ version: 2, command: 'LOCAL' })).toString('hex')).toBe(
      '0d0a0d0a000d0a515549540a20000000',
    )
  })

  it('encodeProxyHeader() does not modify the caller’s TLV values (the CRC32C is computed in the output)', () => {
    const value = Uint8Array.of(1, 2, 3, 4)
    const init: ProxyHeaderInit = Object.freeze({
      version: 2,
      command: 'LOCAL',
      tlvs: Object.freeze([Object.freeze({ type: 0x03, value })]),
    })
    const header = encodeProxyHeader(init)
    expect([...value]).toEqual([1, 2, 3, 4])
    const result = parseProxyHeader(header)
    expect(result.status).toBe('done')
    if (result.status === 'done') expect(result.header.tlvs.crc32c).not.toBe(0x01020304)
  })

  // [what, input, error class, message pattern naming the field]
  const bad: Array<[string, unknown, typeof TypeError | typeof RangeError, RegExp]> = [
    ['no object', undefined, TypeError, /header object/],
    ['version 3', { version: 3 }, RangeError, /^version must be 1 or 2, got 3/],
    ['version "2"', { version: '2' }, TypeError, /^version/],
    ['an unknown command', { version: 2, command: 'PING' }, TypeError, /^command/],
    [
      'an unknown transport',
      { version: 2, transport: 'SCTP', source: v4('1.2.3.4'), destination: v4('1.2.3.4') },
      TypeError,
      /^transport/,
    ],
    [
      'source without destination',
      { version: 2, source: v4('1.2.3.4') },
      TypeError,
      /^destination must be given/,
    ],
    [
      'destination without source',
      { version: 1, destination: v4('1.2.3.4') },
      TypeError,
      /^source must be given/,
    ],
    [
      'a source that is not an object',
      { version: 2, source: '1.2.3.4', destination: v4('1.2.3.4') },
      TypeError,
      /^source must be an object/,
    ],
    [
      'an unknown family',
      { version: 2, source: { address: '1.2.3.4', port: 1, family: 'IPv5' }, destination: v4('1.2.3.4') },
      TypeError,
      /^source\.family/,
    ],
    [
      'an address that is not a string',
      { version: 2, source: { address: 16909060, port: 1, family: 'IPv4' }, destination: v4('1.2.3.4') },
      TypeError,
      /^source\.address/,
    ],
    [
      'an IPv6 address as IPv4',
      { version: 2, source: v4('::1'), destination: v4('1.2.3.4') },
      RangeError,
      /^source\.address is not an IPv4 address/,
    ],
    [
      'an IPv4 address as IPv6',
      { version: 2, source: v6('::1'), destination: v6('1.2.3.4') },
      RangeError,
      /^destination\.address is not an IPv6 address/,
    ],
    [
      'a leading zero',
      { version: 1, source: v4('01.2.3.4'), destination: v4('1.2.3.4') },
      RangeError,
      /^source\.address/,
    ],
    [
      'a zone id',
      { version: 1, source: v6('fe80::1%eth0'), destination: v6('::1') },
      RangeError,
      /^source\.address/,
    ],
    [
      'trailing text',
      { version: 1, source: v4('1.2.3.4 '), destination: v4('1.2.3.4') },
      RangeError,
      /^source\.address/,
    ],
    [
      'port 65536',
      { version: 2, source: v4('1.2.3.4', 65536), destination: v4('1.2.3.4') },
      RangeError,
      /^source\.port/,
    ],
    [
      'port -1',
      { version: 2, source: v4('1.2.3.4'), destination: v4('1.2.3.4', -1) },
      RangeError,
      /^destination\.port/,
    ],
    [
      'port 1.5',
      { version: 2, source: v4('1.2.3.4', 1.5), destination: v4('1.2.3.4') },
      RangeError,
      /^source\.port/,
    ],
    [
      'port "80"',
      { version: 2, source: { address: '1.2.3.4', port: '80', family: 'IPv4' }, destination: v4('1.2.3.4') },
      TypeError,
      /^source\.port/,
    ],
    [
      'families that differ',
      { version: 2, source: v4('1.2.3.4'), destination: v6('::1') },
      RangeError,
      /^destination must be of source's family \(IPv4\), got IPv6/,
    ],
    [
      'a path and an address',
      { version: 2, source: { path: '/a' }, destination: v4('1.2.3.4') },
      RangeError,
      /^destination must be of source's family \(Unix\)/,
    ],
    [
      'a path that is not a string',
      { version: 2, source: { path: 1 }, destination: { path: '/b' } },
      TypeError,
      /^source\.path/,
    ],
    [
      'a path of 109 bytes',
      { version: 2, source: { path: 'a'.repeat(109) }, destination: { path: '/b' } },
      RangeError,
      /^source\.path is 109 bytes/,
    ],
    [
      'a path with NUL',
      { version: 2, source: { path: '/a\0b' }, destination: { path: '/b' } },
      RangeError,
      /^source\.path must not contain a NUL/,
    ],
    ['LOCAL in v1', { version: 1, command: 'LOCAL' }, RangeError, /^command LOCAL needs version 2/],
    [
      'LOCAL with addresses',
      { version: 2, command: 'LOCAL', source: v4('1.2.3.4'), destination: v4('1.2.3.4') },
      RangeError,
      /^source and destination must be omitted/,
    ],
    [
      'a transport without addresses',
      { version: 2, transport: 'TCP' },
      RangeError,
      /^transport needs source and destination/,
    ],
    [
      'UDP in v1',
      { version: 1, transport: 'UDP', source: v4('1.2.3.4'), destination: v4('1.2.3.4') },
      RangeError,
      /^transport UDP needs version 2/,
    ],
    [
      'a Unix path in v1',
      { version: 1, source: { path: '/a' }, destination: { path: '/b' } },
      RangeError,
      /^source: Unix paths need version 2/,
    ],
    [
      'TLVs in v1',
      { version: 1, tlvs: [{ type: 4, value: new Uint8Array(0) }] },
      RangeError,
      /^tlvs need version 2/,
    ],
    ['tlvs that is not an array', { version: 2, tlvs: {} }, TypeError, /^tlvs must be an array/],
    [
      'a TLV type 256',
      { version: 2, tlvs: [{ type: 256, value: new Uint8Array(0) }] },
      RangeError,
      /^tlvs\[0\]\.type/,
    ],
    [
      'a TLV type "1"',
      { version: 2, tlvs: [{ type: '1', value: new Uint8Array(0) }] },
      TypeError,
      /^tlvs\[0\]\.type/,
    ],
    [
      'a TLV value that is not bytes',
      { version: 2, tlvs: [{ type: 4, value: [1, 2] }] },
      TypeError,
      /^tlvs\[0\]\.value/,
    ],
    [
      'a TLV value of 65,536 bytes',
      { version: 2, tlvs: [{ type: 4, value: new Uint8Array(65536) }] },
      RangeError,
      /^tlvs\[0\]\.value is 65536 bytes/,
    ],
    [
      'TLVs longer than the length field holds',
      { version: 2, tlvs: [{ type: 4, value: new Uint8Array(65533) }] },
      RangeError,
      /^tlvs make the header 65552 bytes, more than 65551/,
    ],
    [
      'a CRC32C of 2 bytes',
      { version: 2, tlvs: [{ type: 3, value: new Uint8Array(2) }] },
      RangeError,
      /^tlvs\[0\] \(type 3\) cannot be sent: .*CRC32C TLV \(0x03\) of 2 bytes, not 4/,
    ],
    [
      'two AUTHORITY TLVs',
      {
        version: 2,
        tlvs: [
          { type: 2, value: new Uint8Array(1) },
          { type: 4, value: new Uint8Array(0) },
          { type: 2, value: new Uint8Array(1) },
        ],
      },
      RangeError,
      /^tlvs\[2\] \(type 2\) cannot be sent: .*a second AUTHORITY/,
    ],
    [
      'an AUTHORITY that is not UTF-8',
      { version: 2, tlvs: [{ type: 2, value: Uint8Array.of(0xff) }] },
      RangeError,
      /^tlvs\[0\] .*not UTF-8/,
    ],
    [
      'a UNIQUE_ID of 129 bytes',
      { version: 2, tlvs: [{ type: 5, value: new Uint8Array(129) }] },
      RangeError,
      /^tlvs\[0\] .*more than 128/,
    ],
    [
      'an SSL TLV with a broken sub-TLV',
      { version: 2, tlvs: [{ type: 0x20, value: Uint8Array.of(1, 0, 0, 0, 0, 0x21, 0, 9) }] },
      RangeError,
      /^tlvs\[0\] .*overruns the SSL TLV/,
    ],
  ]
  for (const [what, input, ErrorClass, message] of bad) {
    it(`encodeProxyHeader() refuses ${what} with ${ErrorClass.name}`, () => {
      let caught: unknown
      try {
        encodeProxyHeader(input as ProxyHeaderInit)
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(ErrorClass)
      expect((caught as Error).constructor).toBe(ErrorClass)
      expect((caught as Error).message).toMatch(message)
    })
  }

  it('encodeProxyHeader() writes the largest header the length field allows', () => {
    const header = encodeProxyHeader({
      version: 2,
      command: 'LOCAL',
      tlvs: [{ type: 4, value: new Uint8Array(65532) }],
    })
    expect(header.length).toBe(65551)
    expect(parseProxyHeader(header)).toMatchObject({ status: 'done', length: 65551 })
  })
})
