/**
 * CRC32C (Castagnoli), as the PROXY v2 CRC32C TLV uses it (RFC 4960 appendix B): reflected
 * polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF. One byte per step through a
 * 256-entry table (1 KiB, built at load): a header is at most 64 KiB and arrives once per
 * connection, so the slicing-by-8 variants' extra 7 KiB would buy nothing measurable.
 *
 * @module
 */

function buildTable(): Uint32Array {
  const out = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    out[n] = c
  }
  return out
}

const TABLE = buildTable()

/**
 * Continues a CRC32C over `bytes[start, end)`. Start from `CRC32C_INIT`; finish with `crc32cFinish`.
 * Works on the running register, so a message can be fed in pieces (the PROXY header is fed around its
 * checksum field, which counts as zeros).
 */
export function crc32cUpdate(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLE
  for (let i = start; i < end; i++) crc = (t[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8)
  return crc
}

/** Continues a CRC32C over `count` zero bytes. */
export function crc32cZeros(crc: number, count: number): number {
  const t = TABLE
  for (let i = 0; i < count; i++) crc = (t[crc & 0xff] as number) ^ (crc >>> 8)
  return crc
}

/** The register's starting value. */
export const CRC32C_INIT = 0xffffffff

/** The checksum of a finished register, as an unsigned 32-bit number. */
export function crc32cFinish(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0
}

/** The CRC32C of `bytes`: `crc32c(utf8('123456789')) === 0xe3069283`. */
export function crc32c(bytes: Uint8Array): number {
  return crc32cFinish(crc32cUpdate(CRC32C_INIT, bytes))
}
