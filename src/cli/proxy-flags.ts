import { isIPv4, isIPv6 } from 'node:net'
import type { ProxyProtocolOptions } from 'it-socket'
import type { Target } from './target.js'
import { quote, UsageError } from './usage-error.js'

/** The PROXY protocol options of `it-socket listen`, for `util.parseArgs`. */
export const LISTEN_PROXY_OPTIONS = {
  'proxy-protocol': { type: 'boolean' },
  trusted: { type: 'string' },
} as const

/** The PROXY protocol flags as `util.parseArgs` returns them. */
export interface ProxyFlags {
  'proxy-protocol'?: boolean
  trusted?: string
}

/**
 * `listen --proxy-protocol [--trusted CIDR,…]`: the library's `proxyProtocol` option, or
 * `undefined` without `--proxy-protocol`. `--proxy-protocol` alone trusts loopback only (the
 * library's default); `--trusted` replaces that list. `--trusted` without `--proxy-protocol` is a
 * usage error: whether a server requires a PROXY header is never implied (as with `--tls`).
 * @throws {UsageError} for a bad CIDR block, `--trusted` alone, or `--unix`
 */
export function listenProxy(flags: ProxyFlags, target: Target): true | ProxyProtocolOptions | undefined {
  if (flags['proxy-protocol'] !== true) {
    if (flags.trusted !== undefined) throw new UsageError('--trusted needs --proxy-protocol', 'listen')
    return undefined
  }
  if (target.path !== undefined) {
    throw new UsageError('--proxy-protocol needs a TCP address: it cannot be combined with --unix', 'listen')
  }
  if (flags.trusted === undefined) return true
  return { trusted: trustedBlocks(flags.trusted) }
}

/** Under `--udp`: the PROXY protocol flags are usage errors (the header starts a TCP stream). */
export function rejectProxyFlags(flags: ProxyFlags): void {
  for (const flag of ['proxy-protocol', 'trusted'] as const) {
    if (flags[flag] !== undefined) {
      throw new UsageError(
        `--${flag} does not apply to --udp: the PROXY protocol runs over TCP only`,
        'listen',
      )
    }
  }
}

/**
 * `--trusted 10.0.0.0/8,::1/128`: addresses or CIDR blocks separated by commas (a bare address is
 * one host). Checked here, so that a bad one is a usage error naming it, before anything is bound.
 */
function trustedBlocks(text: string): string[] {
  const blocks = text.split(',')
  for (const block of blocks) {
    if (!isCidr(block)) {
      throw new UsageError(
        `bad --trusted ${quote(text)}: ${quote(block)} is not an address or a CIDR block (expected e.g. 10.0.0.0/8,::1/128)`,
        'listen',
      )
    }
  }
  return blocks
}

function isCidr(block: string): boolean {
  const [address = '', bits, extra] = block.split('/')
  if (extra !== undefined) return false
  const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0
  if (max === 0) return false
  if (bits === undefined) return true
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max
}
