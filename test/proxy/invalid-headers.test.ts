import { describe, expect, it } from 'vitest'
import { ProxyProtocolError } from '../../src/errors.js'
import { ProxyHeaderParser, parseProxyHeader } from '../../src/proxy/proxy-header.js'

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'))
const SIGNATURE = '0d0a0d0a000d0a515549540a'

/** Index of the `nth` character of the first `needle` in `line` (0-based). */
const at = (line: string, needle: string, nth = 0): number => {
  const index = line.indexOf(needle)
  if (index < 0) throw new Error(`${JSON.stringify(needle)} not in ${JSON.stringify(line)}`)
  return index + nth
}

/** A v2 header: the fixed part with `verCmd`, `fam` and the body's length (or `length`), then `body`. */
function v2(verCmd: number, fam: number, body: Uint8Array, length = body.length): Uint8Array {
  return concat(fromHex(SIGNATURE), Uint8Array.of(verCmd, fam, length >> 8, length & 0xff), body)
}
const INET_BLOCK = fromHex('c0000201 c6336407 dc04 01bb')
const tlv = (type: number, value: Uint8Array, length = value.length): Uint8Array =>
  concat(Uint8Array.of(type, length >> 8, length & 0xff), value)

type Row = {
  what: string
  bytes: Uint8Array
  reason: string
  /** The byte that proves the header invalid: every shorter prefix is `incomplete`. */
  at: number
  versions?: ReadonlyArray<1 | 2>
}

function v1(what: string, line: string, reason: string, index: number, versions?: ReadonlyArray<1 | 2>): Row {
  return versions === undefined
    ? { what, bytes: utf8(line), reason, at: index }
    : { what, bytes: utf8(line), reason, at: index, versions }
}

const FULL6 = 'ffff:ffff:ffff:ffff:ffff:ffff'
const l = {
  lower: 'proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n',
  proxz: 'PROXZ TCP4 1.2.3.4 5.6.7.8 1 2\r\n',
  tab: 'PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n',
  http: 'GET / HTTP/1.1\r\n',
  space2: 'PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n',
  tcp5: 'PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n',
  lowerTcp: 'PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n',
  udp4: 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n',
  noFields: 'PROXY TCP4\r\n',
  unknownX: 'PROXY UNKNOWNX\r\n',
  doubleSpace: 'PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n',
  octetZero: 'PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n',
  octet256: 'PROXY TCP4 1.2.3.4 5.6.7.256 1 2\r\n',
  fiveOctets: 'PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n',
  threeOctets: 'PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n',
  v6in4: 'PROXY TCP4 ::1 ::1 1 2\r\n',
  v4in6: 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n',
  nineGroups: 'PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n',
  twoDoubles: 'PROXY TCP6 1::2::3 ::1 1 2\r\n',
  longGroup: 'PROXY TCP6 12345:: ::1 1 2\r\n',
  zone: 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n',
  tailZero: 'PROXY TCP6 ::ffff:1.02.3.4 ::1 1 2\r\n',
  tailNoRoom: 'PROXY TCP6 1:2:3:4:5:6::1.2.3.4 ::1 1 2\r\n',
  portZero: 'PROXY TCP4 1.2.3.4 5.6.7.8 080 80\r\n',
  port65536: 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 80\r\n',
  dstPort: 'PROXY TCP4 1.2.3.4 5.6.7.8 80 70000\r\n',
  plusPort: 'PROXY TCP4 1.2.3.4 5.6.7.8 +80 80\r\n',
  missingPort: 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n',
  trailingSpace: 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n',
  extraField: 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n',
  lfOnly: 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n',
  crOnly: 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rGET',
  unknownLf: 'PROXY UNKNOWN junk\nmore\r\n',
  unknownLong: `PROXY UNKNOWN ${'x'.repeat(120)}\r\n`,
  tcp6Long: `PROXY TCP6 ${FULL6}:255.255.255.255 ${FULL6}:255.255.255.255 65535 65535\r\n`,
}

const v1Rows: Row[] = [
  v1('lower-case "proxy"', l.lower, 'BAD_SIGNATURE', 0),
  v1('"PROXZ"', l.proxz, 'BAD_SIGNATURE', 4),
  v1('a tab after PROXY', l.tab, 'BAD_SIGNATURE', 5),
  v1('an HTTP request', l.http, 'BAD_SIGNATURE', 0),
  v1('two spaces after PROXY', l.space2, 'V1_BAD_SEPARATOR', 6),
  v1('protocol TCP5', l.tcp5, 'V1_BAD_PROTOCOL', 9),
  v1('protocol in lower case', l.lowerTcp, 'V1_BAD_PROTOCOL', 6),
  v1('protocol UDP4', l.udp4, 'V1_BAD_PROTOCOL', 7),
  v1('CRLF after the protocol', l.noFields, 'V1_MISSING_FIELD', 10),
  v1('UNKNOWNX', l.unknownX, 'V1_BAD_PROTOCOL', 13),
  v1('two spaces between addresses', l.doubleSpace, 'V1_BAD_SEPARATOR', at(l.doubleSpace, '  ', 1)),
  v1('leading zero in an IPv4 number', l.octetZero, 'V1_LEADING_ZERO', at(l.octetZero, '01', 1)),
  v1('IPv4 number 256', l.octet256, 'V1_BAD_ADDRESS', at(l.octet256, '256', 2)),
  v1('five IPv4 numbers', l.fiveOctets, 'V1_BAD_ADDRESS', at(l.fiveOctets, '.5')),
  v1('three IPv4 numbers', l.threeOctets, 'V1_BAD_ADDRESS', at(l.threeOctets, '3 ', 1)),
  v1('IPv6 address in TCP4', l.v6in4, 'V1_BAD_ADDRESS', 11),
  v1('IPv4 address in TCP6', l.v4in6, 'V1_BAD_ADDRESS', 12),
  v1('nine IPv6 groups', l.nineGroups, 'V1_BAD_ADDRESS', at(l.nineGroups, ':9')),
  v1('two "::"', l.twoDoubles, 'V1_BAD_ADDRESS', at(l.twoDoubles, '2::', 2)),
  v1('five hex digits in a group', l.longGroup, 'V1_BAD_ADDRESS', at(l.longGroup, '5')),
  v1('an IPv6 zone id', l.zone, 'V1_BAD_ADDRESS', at(l.zone, '%')),
  v1('leading zero in an IPv4 tail', l.tailZero, 'V1_LEADING_ZERO', at(l.tailZero, '02', 1)),
  v1('an IPv4 tail after 6 groups and "::"', l.tailNoRoom, 'V1_BAD_ADDRESS', at(l.tailNoRoom, '1.2', 1)),
  v1('leading zero in a port', l.portZero, 'V1_LEADING_ZERO', at(l.portZero, '080', 1)),
  v1('source port 65536', l.port65536, 'V1_BAD_PORT', at(l.port65536, '65536', 4)),
  v1('destination port 70000', l.dstPort, 'V1_BAD_PORT', at(l.dstPort, '70000', 4)),
  v1('a signed port', l.plusPort, 'V1_BAD_PORT', at(l.plusPort, '+')),
  v1('a missing port', l.missingPort, 'V1_MISSING_FIELD', at(l.missingPort, '\r')),
  v1('a space before CRLF', l.trailingSpace, 'V1_BAD_SEPARATOR', at(l.trailingSpace, ' \r')),
  v1('a seventh field', l.extraField, 'V1_BAD_SEPARATOR', at(l.extraField, ' 3')),
  v1('LF without CR', l.lfOnly, 'V1_BAD_CRLF', at(l.lfOnly, '\n')),
  v1('CR without LF', l.crOnly, 'V1_BAD_CRLF', at(l.crOnly, 'G')),
  v1('LF without CR in UNKNOWN’s ignored fields', l.unknownLf, 'V1_BAD_CRLF', at(l.unknownLf, '\n')),
  v1('no CRLF within 107 bytes (UNKNOWN)', l.unknownLong, 'V1_TOO_LONG', 105),
  v1('a valid TCP6 line of 116 bytes', l.tcp6Long, 'V1_TOO_LONG', 105),
  v1('v1 when only v2 is accepted', 'PROXY UNKNOWN\r\n', 'VERSION_NOT_ALLOWED', 0, [2]),
]

const sslWith = (sub: Uint8Array): Uint8Array => tlv(0x20, concat(Uint8Array.of(1, 0, 0, 0, 0), sub))
const crcHeader = (() => {
  // A correct CRC32C would be some value; all zeros is wrong for this header (checked below).
  const body = concat(INET_BLOCK, tlv(0x03, new Uint8Array(4)))
  return v2(0x21, 0x11, body)
})()
const badAuthority = v2(0x21, 0x11, concat(INET_BLOCK, tlv(0x02, Uint8Array.of(0x61, 0xff, 0x62))))
const badNetns = v2(0x20, 0x00, tlv(0x30, utf8('ns-é')))
const badPath = v2(0x21, 0x31, concat(Uint8Array.of(0x2f, 0xc3), new Uint8Array(214)))

const v2Rows: Row[] = [
  {
    what: 'v2 signature with a wrong 6th byte',
    bytes: fromHex(`0d0a0d0a0000`),
    reason: 'BAD_SIGNATURE',
    at: 5,
  },
  { what: 'v2 version nibble 1', bytes: v2(0x11, 0x11, INET_BLOCK), reason: 'V2_BAD_VERSION', at: 12 },
  { what: 'v2 version nibble 3', bytes: v2(0x31, 0x11, INET_BLOCK), reason: 'V2_BAD_VERSION', at: 12 },
  { what: 'v2 command 2', bytes: v2(0x22, 0x11, INET_BLOCK), reason: 'V2_BAD_COMMAND', at: 12 },
  { what: 'v2 command 15', bytes: v2(0x2f, 0x11, INET_BLOCK), reason: 'V2_BAD_COMMAND', at: 12 },
  { what: 'v2 family 4', bytes: v2(0x21, 0x41, INET_BLOCK), reason: 'V2_BAD_FAMILY', at: 13 },
  { what: 'v2 transport 3', bytes: v2(0x21, 0x13, INET_BLOCK), reason: 'V2_BAD_TRANSPORT', at: 13 },
  {
    what: 'v2 AF_INET with length 11',
    bytes: v2(0x21, 0x11, INET_BLOCK.subarray(0, 11)),
    reason: 'V2_LENGTH_TOO_SHORT',
    at: 15,
  },
  {
    what: 'v2 AF_INET6 with length 12',
    bytes: v2(0x21, 0x21, INET_BLOCK),
    reason: 'V2_LENGTH_TOO_SHORT',
    at: 15,
  },
  {
    what: 'v2 LOCAL AF_UNIX with length 215',
    bytes: v2(0x20, 0x31, new Uint8Array(215)),
    reason: 'V2_LENGTH_TOO_SHORT',
    at: 15,
  },
  {
    what: 'v2 TLV overrunning the header',
    bytes: v2(0x21, 0x11, concat(INET_BLOCK, tlv(0x04, new Uint8Array(5), 10))),
    reason: 'TLV_OVERRUN',
    at: 16 + 12 + 2,
  },
  {
    what: 'v2 two bytes after the address block, too few for a TLV',
    bytes: v2(0x21, 0x11, concat(INET_BLOCK, Uint8Array.of(4, 0))),
    reason: 'TLV_OVERRUN',
    at: 15,
  },
  {
    what: 'v2 SSL sub-TLV overrunning its SSL TLV',
    bytes: v2(0x21, 0x11, concat(INET_BLOCK, sslWith(tlv(0x21, utf8('TLSv1.3'), 8)))),
    reason: 'TLV_OVERRUN',
    at: 16 + 12 + 3 + 5 + 2,
  },
  {
    what: 'v2 CRC32C of 5 bytes',
    bytes: v2(0x20, 0x00, tlv(0x03, new Uint8Array(5))),
    reason: 'TLV_BAD_LENGTH',
    at: 18,
  },
  {
    what: 'v2 UNIQUE_ID of 129 bytes',
    bytes: v2(0x20, 0x00, tlv(0x05, new Uint8Array(129))),
    reason: 'TLV_BAD_LENGTH',
    at: 18,
  },
  {
    what: 'v2 SSL TLV of 4 bytes',
    bytes: v2(0x20, 0x00, tlv(0x20, new Uint8Array(4))),
    reason: 'TLV_BAD_LENGTH',
    at: 18,
  },
  {
    what: 'v2 two AUTHORITY TLVs',
    bytes: v2(0x21, 0x11, concat(INET_BLOCK, tlv(0x02, utf8('a.test')), tlv(0x02, utf8('b.test')))),
    reason: 'TLV_DUPLICATE',
    at: 16 + 12 + 9,
  },
  {
    what: 'v2 two CN sub-TLVs in SSL',
    bytes: v2(0x20, 0x00, sslWith(concat(tlv(0x22, utf8('a')), tlv(0x22, utf8('b'))))),
    reason: 'TLV_DUPLICATE',
    at: 16 + 3 + 5 + 4,
  },
  { what: 'v2 wrong CRC32C', bytes: crcHeader, reason: 'CRC32C_MISMATCH', at: crcHeader.length - 1 },
  // Strings fail at their first byte that cannot be UTF-8 (or US-ASCII), not at the end of the header.
  {
    what: 'v2 AUTHORITY not UTF-8 (0xff)',
    bytes: badAuthority,
    reason: 'TLV_BAD_VALUE',
    at: 16 + 12 + 3 + 1,
  },
  { what: 'v2 NETNS not US-ASCII ("é")', bytes: badNetns, reason: 'TLV_BAD_VALUE', at: 16 + 3 + 3 },
  { what: 'v2 Unix path ending inside a UTF-8 sequence', bytes: badPath, reason: 'V2_BAD_ADDRESS', at: 18 },
  {
    what: 'v2 SSL_CN with a UTF-8 sequence longer than the value',
    bytes: v2(0x20, 0x00, sslWith(tlv(0x22, Uint8Array.of(0x61, 0xe2, 0x82)))),
    reason: 'TLV_BAD_VALUE',
    at: 16 + 3 + 5 + 3 + 1,
  },
  {
    what: 'v2 SSL_VERSION not US-ASCII',
    bytes: v2(0x20, 0x00, sslWith(tlv(0x21, Uint8Array.of(0x54, 0x80)))),
    reason: 'TLV_BAD_VALUE',
    at: 16 + 3 + 5 + 3 + 1,
  },
  {
    what: 'v2 AUTHORITY with a UTF-16 surrogate in UTF-8 (ED A0 80)',
    bytes: v2(0x20, 0x00, tlv(0x02, Uint8Array.of(0xed, 0xa0, 0x80))),
    reason: 'TLV_BAD_VALUE',
    at: 16 + 3 + 1,
  },
  {
    what: 'v2 when only v1 is accepted',
    bytes: v2(0x20, 0x00, new Uint8Array(0)),
    reason: 'VERSION_NOT_ALLOWED',
    at: 0,
    versions: [1],
  },
]

function parseError(bytes: Uint8Array, versions?: ReadonlyArray<1 | 2>): unknown {
  try {
    parseProxyHeader(bytes, versions)
  } catch (err) {
    return err
  }
  return undefined
}

describe('parseProxyHeader() on invalid headers', () => {
  it('has at least 30 rows, over v1 and v2', () => {
    expect(v1Rows.length + v2Rows.length).toBeGreaterThanOrEqual(30)
    expect(v2Rows.length).toBeGreaterThanOrEqual(15)
  })

  for (const row of [...v1Rows, ...v2Rows]) {
    it(`parseProxyHeader() fails with ProxyProtocolError ${row.reason}: ${row.what}`, () => {
      const err = parseError(row.bytes, row.versions)
      expect(err).toBeInstanceOf(ProxyProtocolError)
      const e = err as ProxyProtocolError
      expect(e.code).toBe('ERR_PROXY_PROTOCOL')
      expect(e.name).toBe('ProxyProtocolError')
      expect(e.reason).toBe(row.reason)
      expect(e.message).toMatch(/ \(byte \d+\)$/)
      // The same error, with the same reason, from the shortest prefix that proves it, and after it.
      const first = parseError(row.bytes.subarray(0, row.at + 1), row.versions) as ProxyProtocolError
      expect(first, 'shortest prefix').toBeInstanceOf(ProxyProtocolError)
      expect(first.reason).toBe(row.reason)
      expect(first.message).toBe(e.message)
      // Every shorter prefix is a valid beginning.
      for (let k = 0; k <= row.at; k++) {
        expect(parseProxyHeader(row.bytes.subarray(0, k), row.versions).status, `prefix of ${k} bytes`).toBe(
          'incomplete',
        )
      }
      // One parser fed a byte at a time fails at the same byte.
      const parser = new ProxyHeaderParser(row.versions)
      for (let k = 0; k <= row.at; k++)
        expect(parser.parse(row.bytes.subarray(0, k)).status).toBe('incomplete')
      expect(() => parser.parse(row.bytes.subarray(0, row.at + 1))).toThrow(e.message)
      // Bytes after it change nothing.
      const more = parseError(
        concat(row.bytes, utf8('PROXY TCP4 \r\n\0')),
        row.versions,
      ) as ProxyProtocolError
      expect(more.reason).toBe(row.reason)
    })
  }

  it('parseProxyHeader() names the reason and the byte in the message', () => {
    const err = parseError(utf8(l.port65536)) as ProxyProtocolError
    expect(err.message).toBe('the source port is above 65535 (byte 31)')
    const crc = parseError(crcHeader) as ProxyProtocolError
    expect(crc.message).toMatch(/^CRC32C 0x00000000 in the header, 0x[0-9a-f]{8} computed \(byte 34\)$/)
  })
})
