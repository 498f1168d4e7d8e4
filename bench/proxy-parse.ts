/**
 * D-PROXY's in-memory micro-benchmark: what parsing a PROXY header costs the server per connection,
 * without sockets. `node dist/bench/proxy-parse.js <iterations> <warmup>`; prints one line,
 * `{"result":{"values":{"<header> (<n> B)": µs per header, …},"details":{…}}}`.
 *
 * Each header (a v1 line and a v2 header, over IPv4 and IPv6; v2 with two TLVs, and with a CRC32C
 * too) is built with the library's encoder, checked to parse back to its addresses, then parsed as
 * `listen({ proxyProtocol: true })` parses a connection's first chunk: a new `ProxyHeaderParser` with
 * the server's `versions` (a `[1, 2]` array of its own, as the checked options hold), `parse()` on the
 * whole header in one `Buffer`. The parser is not part of the package's exports: it is imported from
 * its module, as the server does.
 *
 * @module
 */

import { performance } from 'node:perf_hooks'
import { encodeProxyHeader, ProxyHeaderParser, type ProxyParseResult } from '../src/proxy/proxy-header.js'
import type { ProxyAddress, ProxyHeaderInit } from '../src/proxy/types.js'
import { proxyV2Header } from './load.js'
import type { ClientResult } from './protocol.js'

const utf8 = new TextEncoder()

const V4 = {
  source: { address: '192.0.2.1', port: 56_324, family: 'IPv4' },
  destination: { address: '127.0.0.1', port: 7788, family: 'IPv4' },
} as const
const V6 = {
  source: { address: '2001:db8::1', port: 56_324, family: 'IPv6' },
  destination: { address: '2001:db8::2:1', port: 7788, family: 'IPv6' },
} as const
/** ALPN (0x01) and AUTHORITY (0x02), as HAProxy sends them for a TLS client. */
const TLVS = [
  { type: 0x01, value: utf8.encode('h2') },
  { type: 0x02, value: utf8.encode('api.example.com') },
]
/** CRC32C (0x03): its 4 bytes are computed by the encoder. */
const CRC32C = { type: 0x03, value: new Uint8Array(4) }

/** The headers measured, by name; the bytes and their size are added to the label. */
const HEADERS: ReadonlyArray<[name: string, init: ProxyHeaderInit]> = [
  ['v1 TCP4', { version: 1, ...V4 }],
  ['v1 TCP6', { version: 1, ...V6 }],
  ['v2 TCP4', { version: 2, ...V4 }],
  ['v2 TCP6', { version: 2, ...V6 }],
  ['v2 TCP4 + ALPN, AUTHORITY', { version: 2, ...V4, tlvs: TLVS }],
  ['v2 TCP4 + ALPN, AUTHORITY, CRC32C', { version: 2, ...V4, tlvs: [...TLVS, CRC32C] }],
]

/** What `listen({ proxyProtocol: true })` passes the parser: an array of its own, not the default. */
const VERSIONS: ReadonlyArray<1 | 2> = [1, 2]

/**
 * The last parsers and results, kept as the server keeps them (the parser in its header read until
 * the header is whole, the header in the connection): without this, the optimizing compiler may see
 * that nothing escapes the loop and skip allocating them, which no server can.
 */
const KEPT = 1024
const parsers: ProxyHeaderParser[] = new Array(KEPT)
const results: ProxyParseResult[] = new Array(KEPT)

/** Parses `bytes` `n` times as the server does; returns the sum of the lengths (used, so not elided). */
function parseMany(bytes: Buffer, n: number): number {
  let sum = 0
  for (let i = 0; i < n; i++) {
    const parser = new ProxyHeaderParser(VERSIONS)
    const result = parser.parse(bytes)
    if (result.status !== 'done') throw new Error('expected a whole header')
    parsers[i % KEPT] = parser
    results[i % KEPT] = result
    sum += result.length
  }
  return sum
}

function main(): void {
  const [iterations, warmup] = process.argv.slice(2).map(Number) as [number, number]
  if (!(Number.isInteger(iterations) && iterations > 0 && Number.isInteger(warmup) && warmup >= 0)) {
    throw new Error('usage: proxy-parse.js <iterations> <warmup>')
  }
  // The bench client's header, written by hand in load.ts, is the encoder's to the byte.
  const clientHeader = proxyV2Header(7788)
  const encoded = encodeProxyHeader({
    version: 2,
    source: { address: '127.0.0.1', port: clientHeader.readUInt16BE(24), family: 'IPv4' },
    destination: { address: '127.0.0.1', port: 7788, family: 'IPv4' },
  })
  if (!clientHeader.equals(encoded)) throw new Error("load.ts's PROXY v2 header differs from the encoder's")
  const headers = HEADERS.map(([name, init]) => {
    const bytes = Buffer.from(encodeProxyHeader(init))
    const result = new ProxyHeaderParser(VERSIONS).parse(bytes)
    const address = (a: ProxyAddress | undefined): string | undefined =>
      a !== undefined && 'address' in a ? a.address : undefined
    if (
      result.status !== 'done' ||
      result.length !== bytes.length ||
      address(result.header.source) !== address(init.source)
    ) {
      throw new Error(`${name}: does not parse back to its source address`)
    }
    return { label: `${name} (${bytes.length} B)`, bytes }
  })
  // Every header warmed up before any is timed: the parser's code is shared by all of them.
  let sink = 0
  for (const h of headers) sink += parseMany(h.bytes, warmup)
  const values: Record<string, number> = {}
  for (const h of headers) {
    const t0 = performance.now()
    sink += parseMany(h.bytes, iterations)
    values[h.label] = ((performance.now() - t0) * 1000) / iterations
  }
  const result: ClientResult = { values, details: { iterations, warmup, sink } }
  process.stdout.write(`${JSON.stringify({ result })}\n`)
}

main()
