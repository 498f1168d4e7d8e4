import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CRC32C_INIT, crc32c, crc32cFinish, crc32cUpdate, crc32cZeros } from '../../src/proxy/crc32c.js'
import { SEED } from '../framing/helpers.js'

/** CRC32C bit by bit, straight from the definition: independent of the table. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

describe('crc32c()', () => {
  it('crc32c() gives the check value of the Castagnoli CRC: CRC32C("123456789") = 0xE3069283', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
    expect(referenceCrc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
  })

  it('crc32c() gives the iSCSI test vectors of RFC 3720, B.4', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c)
    expect(crc32c(new Uint8Array(0))).toBe(0)
  })

  it('crc32c() agrees with the bitwise definition, also when fed in pieces and around zeros (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(8), (bytes, cut, zeros) => {
        expect(crc32c(bytes)).toBe(referenceCrc32c(bytes))
        const at = bytes.length === 0 ? 0 : cut % bytes.length
        const withZeros = new Uint8Array(bytes.length + zeros)
        withZeros.set(bytes.subarray(0, at))
        withZeros.set(bytes.subarray(at), at + zeros)
        let crc = crc32cUpdate(CRC32C_INIT, bytes, 0, at)
        crc = crc32cZeros(crc, zeros)
        crc = crc32cUpdate(crc, bytes, at, bytes.length)
        expect(crc32cFinish(crc)).toBe(referenceCrc32c(withZeros))
      }),
      { seed: SEED, numRuns: 500 },
    )
  })
})
