/**
 * IPv4 and IPv6 addresses as text, scanned one character at a time so a PROXY v1 line fails at the
 * first character no valid address can have, and formatted back the way `inet_ntop` (and so Node.js's
 * `socket.remoteAddress`) writes them. Our own scanner rather than `node:net`'s `isIPv4`/`isIPv6`:
 * those accept zone ids (`fe80::1%eth0`) and can only judge a whole string, not a prefix, and the
 * encoder needs the address bytes anyway.
 *
 * @module
 */

/** What `scanIPv4`/`scanIPv6` found. */
export interface AddressScan {
  /** Index of the first byte not taken as part of the address: the offending byte, a byte that cannot be in an address, or `end`. */
  stop: number
  /** Why the byte at `stop` makes the address invalid; `undefined` when it simply is not an address character. */
  error: 'BAD' | 'LEADING_ZERO' | undefined
  /** The address bytes (4 or 16) when `bytes[start, stop)` is a whole address, else `undefined`. */
  value: Uint8Array | undefined
}

const DOT = 0x2e
const COLON = 0x3a

/** The value of an ASCII hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  const lower = c | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

/**
 * Scans a dotted-quad IPv4 address at `bytes[start, end)`: exactly 4 decimal numbers 0–255 without
 * leading zeros (the PROXY spec forbids them: they read as octal to some parsers).
 */
export function scanIPv4(bytes: ArrayLike<number>, start: number, end: number): AddressScan {
  const octets = new Uint8Array(4)
  let count = 0
  let value = 0
  let digits = 0
  let i = start
  for (; i < end; i++) {
    const c = bytes[i] as number
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return { stop: i, error: 'LEADING_ZERO', value: undefined }
      value = value * 10 + (c - 0x30)
      if (value > 255) return { stop: i, error: 'BAD', value: undefined }
      digits++
    } else if (c === DOT) {
      if (digits === 0 || count === 3) return { stop: i, error: 'BAD', value: undefined }
      octets[count++] = value
      value = 0
      digits = 0
    } else {
      break
    }
  }
  if (count === 3 && digits > 0) {
    octets[3] = value
    return { stop: i, error: undefined, value: octets }
  }
  return { stop: i, error: undefined, value: undefined }
}

// States of the IPv6 scanner.
const START = 0 // nothing yet
const LEAD = 1 // a leading ':' (must be followed by another)
const GROUP = 2 // inside a group of hex digits
const COLON_AFTER_GROUP = 3 // a ':' that ended a group
const DOUBLE = 4 // just after '::'
const TAIL = 5 // inside an embedded IPv4 tail (`::ffff:192.0.2.1`)

/**
 * Scans an IPv6 address at `bytes[start, end)` in RFC 4291 text form: up to 8 groups of 1–4 hex
 * digits (either case), at most one `::`, optionally an IPv4 tail in place of the last two groups
 * (which is how `inet_ntop` writes IPv4-mapped addresses). No zone id, no brackets.
 */
export function scanIPv6(bytes: ArrayLike<number>, start: number, end: number): AddressScan {
  const groups = new Array<number>(8)
  let count = 0 // completed groups
  let double = -1 // groups before '::', or -1
  let state = START
  let value = 0 // current group, as hex
  let decimal = 0 // current group read as decimal, while all its digits are decimal; -1 after a letter
  let digits = 0
  const tail = new Uint8Array(4)
  let octets = 0 // completed octets of the IPv4 tail
  let i = start
  const bad = (error: 'BAD' | 'LEADING_ZERO' = 'BAD'): AddressScan => ({ stop: i, error, value: undefined })
  scan: for (; i < end; i++) {
    const c = bytes[i] as number
    if (state === TAIL) {
      if (c >= 0x30 && c <= 0x39) {
        if (digits === 1 && value === 0) return bad('LEADING_ZERO')
        value = value * 10 + (c - 0x30)
        if (value > 255) return bad()
        digits++
      } else if (c === DOT) {
        if (digits === 0 || octets === 3) return bad()
        tail[octets++] = value
        value = 0
        digits = 0
      } else if (c === COLON || hexValue(c) >= 0) {
        return bad()
      } else {
        break
      }
      continue
    }
    const hex = hexValue(c)
    if (hex >= 0) {
      if (state === LEAD) return bad()
      if (state !== GROUP) {
        // A new group: is there room for it? '::' stands for at least one group.
        if (count >= (double >= 0 ? 7 : 8)) return bad()
        state = GROUP
        value = 0
        decimal = 0
        digits = 0
      }
      if (digits === 4) return bad()
      value = value * 16 + hex
      decimal = hex < 10 && decimal >= 0 ? decimal * 10 + hex : -1
      digits++
      continue
    }
    switch (c) {
      case COLON:
        if (state === START) {
          state = LEAD
        } else if (state === LEAD || state === COLON_AFTER_GROUP) {
          if (double >= 0) return bad()
          double = count
          state = DOUBLE
        } else if (state === GROUP) {
          groups[count++] = value
          // After this ':' comes another group or '::'; either needs room.
          if (count >= (double >= 0 ? 7 : 8)) return bad()
          state = COLON_AFTER_GROUP
        } else {
          return bad() // ':::'
        }
        continue
      case DOT: {
        // The group just read was the first octet of an IPv4 tail, which takes the last two groups.
        if (state !== GROUP || decimal < 0 || decimal > 255) return bad()
        if (digits > 1 && value >> ((digits - 1) * 4) === 0) return bad('LEADING_ZERO')
        if (double >= 0 ? count + 2 > 7 : count !== 6) return bad()
        tail[0] = decimal
        octets = 1
        value = 0
        digits = 0
        state = TAIL
        continue
      }
      default:
        break scan
    }
  }
  let complete: boolean
  if (state === GROUP) {
    groups[count++] = value
    complete = double >= 0 || count === 8
  } else if (state === DOUBLE) {
    complete = true
  } else if (state === TAIL) {
    complete = octets === 3 && digits > 0
    if (complete) {
      tail[3] = value
      groups[count++] = (tail[0] as number) * 256 + (tail[1] as number)
      groups[count++] = (tail[2] as number) * 256 + (tail[3] as number)
    }
  } else {
    complete = false
  }
  if (!complete) return { stop: i, error: undefined, value: undefined }
  const out = new Uint8Array(16)
  const head = double >= 0 ? double : count
  for (let g = 0; g < head; g++) writeGroup(out, g, groups[g] as number)
  for (let g = head, at = 8 - (count - head); g < count; g++, at++) writeGroup(out, at, groups[g] as number)
  return { stop: i, error: undefined, value: out }
}

function writeGroup(out: Uint8Array, index: number, group: number): void {
  out[index * 2] = group >> 8
  out[index * 2 + 1] = group & 0xff
}

/** `bytes[offset, offset + 4)` as a dotted quad. */
export function formatIPv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`
}

/**
 * `bytes[offset, offset + 16)` as `inet_ntop` writes it (RFC 5952): lower-case hex without leading
 * zeros, the longest run of two or more zero groups (the first, on a tie) as `::`, and an IPv4 tail for
 * IPv4-mapped (`::ffff:192.0.2.1`) and IPv4-compatible (`::192.0.2.1`) addresses.
 */
export function formatIPv6(bytes: Uint8Array, offset: number): string {
  const words = new Array<number>(8)
  for (let i = 0; i < 8; i++) {
    words[i] = ((bytes[offset + i * 2] as number) << 8) | (bytes[offset + i * 2 + 1] as number)
  }
  let bestBase = -1
  let bestLength = 0
  let runBase = -1
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && words[i] === 0) {
      if (runBase < 0) runBase = i
    } else if (runBase >= 0) {
      if (i - runBase > bestLength) {
        bestBase = runBase
        bestLength = i - runBase
      }
      runBase = -1
    }
  }
  if (bestLength < 2) bestBase = -1
  let text = ''
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLength) {
      if (i === bestBase) text += ':'
      continue
    }
    if (i !== 0) text += ':'
    if (i === 6 && bestBase === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      return text + formatIPv4(bytes, offset + 12)
    }
    text += (words[i] as number).toString(16)
  }
  if (bestBase >= 0 && bestBase + bestLength === 8) text += ':'
  return text
}
