/**
 * `proxyProtocol.trusted` as CIDR blocks: IPv4 peers are checked against precompiled (network, mask)
 * pairs, everything else by BlockList. The pairs must agree with BlockList on every address.
 */
import { BlockList } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { validateProxyProtocol } from '../../src/proxy/proxy-reader.js'

function trustedBy(cidrs: string[]): (address: string) => boolean {
  const settings = validateProxyProtocol('listen()', { trusted: cidrs })
  if (settings === undefined) throw new Error('no settings')
  return settings.trusted
}

describe('proxyProtocol.trusted', () => {
  it('trusts loopback only by default (proxyProtocol: true)', () => {
    const trusted = validateProxyProtocol('listen()', true)?.trusted
    expect(trusted?.('127.0.0.1')).toBe(true)
    expect(trusted?.('127.255.1.2')).toBe(true)
    expect(trusted?.('::1')).toBe(true)
    expect(trusted?.('128.0.0.1')).toBe(false)
    expect(trusted?.('10.0.0.1')).toBe(false)
    expect(trusted?.('::2')).toBe(false)
  })

  it('handles the edge prefixes /0, /1, /31 and /32', () => {
    expect(trustedBy(['0.0.0.0/0'])('203.0.113.9')).toBe(true)
    expect(trustedBy(['128.0.0.0/1'])('200.1.1.1')).toBe(true)
    expect(trustedBy(['128.0.0.0/1'])('127.255.255.255')).toBe(false)
    expect(trustedBy(['10.0.0.2/31'])('10.0.0.3')).toBe(true)
    expect(trustedBy(['10.0.0.2/31'])('10.0.0.4')).toBe(false)
    expect(trustedBy(['10.0.0.7'])('10.0.0.7')).toBe(true)
    expect(trustedBy(['10.0.0.7/32'])('10.0.0.6')).toBe(false)
  })

  it('agrees with BlockList for any IPv4 block and peer (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4(), (network, prefix, peer) => {
        const list = new BlockList()
        list.addSubnet(network, prefix, 'ipv4')
        expect(trustedBy([`${network}/${prefix}`])(peer)).toBe(list.check(peer, 'ipv4'))
        expect(trustedBy([`${network}/${prefix}`])(network)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })

  it('leaves IPv6 peers, IPv4-mapped ones included, to BlockList', () => {
    const trusted = trustedBy(['127.0.0.0/8', '2001:db8::/32'])
    expect(trusted('2001:db8::1')).toBe(true)
    expect(trusted('2001:db9::1')).toBe(false)
    const list = new BlockList()
    list.addSubnet('127.0.0.0', 8, 'ipv4')
    expect(trusted('::ffff:127.0.0.1')).toBe(list.check('::ffff:127.0.0.1', 'ipv6'))
  })
})
