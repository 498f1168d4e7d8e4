import { SocketAddress } from 'node:net'
import { deviates } from '../helpers/runtime.js'

/**
 * The canonical text of IPv6 address `text`, as Node.js writes it (libuv's `inet_ntop`: the longest
 * run of two or more zero groups as `::`, the first of equals, lower case without leading zeros,
 * and a dotted IPv4 tail for IPv4-mapped and IPv4-compatible addresses): the oracle the PROXY tests
 * compare our formatter with.
 *
 * Node.js's `SocketAddress` is that oracle. Bun's returns the text as given
 * (`bun-socketaddress-verbatim`, docs/RUNTIMES.md), and Bun's URL parser rejects some valid forms
 * (`0:0:0::0:0.0.0.0`); there {@link inetNtop} does it, written from the rules above. So it does on
 * Deno, whose `SocketAddress` writes IPv4-compatible addresses in hex (`deno-socketaddress-ipv4-compatible`).
 */
export function canonicalIPv6(text: string): string {
  return deviates('bun-socketaddress-verbatim') || deviates('deno-socketaddress-ipv4-compatible')
    ? inetNtop(text)
    : new SocketAddress({ address: text, family: 'ipv6' }).address
}

/** {@link canonicalIPv6} without `SocketAddress`, for valid IPv6 text only. */
export function inetNtop(text: string): string {
  const groupsOf = (part: string): number[] => {
    if (part === '') return []
    const pieces = part.split(':')
    const last = pieces.at(-1) ?? ''
    const hex = last.includes('.') ? pieces.slice(0, -1) : pieces
    const words = hex.map((g) => Number.parseInt(g, 16))
    if (last.includes('.')) {
      const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number)
      words.push((a << 8) | b, (c << 8) | d)
    }
    return words
  }
  const [head = '', tail] = text.split('::')
  const before = groupsOf(head)
  const after = tail === undefined ? [] : groupsOf(tail)
  const words =
    tail === undefined
      ? before
      : [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after]
  // The longest run of two or more zero groups, the first of equals.
  let best = { start: -1, length: 0 }
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i }
    i = j
  }
  // libuv writes a dotted tail when that run starts the address and is 6 groups long
  // (IPv4-compatible), or 5 followed by ffff (IPv4-mapped).
  if (best.start === 0 && (best.length === 6 || (best.length === 5 && words[5] === 0xffff))) {
    const v4 = [words[6] ?? 0, words[7] ?? 0].map((w) => `${w >> 8}.${w & 0xff}`).join('.')
    return best.length === 5 ? `::ffff:${v4}` : `::${v4}`
  }
  const hex = (from: number, to: number): string =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(':')
  return best.start === -1 ? hex(0, 8) : `${hex(0, best.start)}::${hex(best.start + best.length, 8)}`
}
