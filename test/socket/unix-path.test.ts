import { readdirSync } from 'node:fs'
import { connect, listen, pipe, SocketError } from 'it-socket'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { collectBytes, decoder, encoder } from '../helpers/bytes.js'
import { tempDir } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'

/** `sun_path` is 108 bytes on Linux, 104 on macOS and the BSDs, including the terminating NUL. */
const SUN_PATH_SIZE = process.platform === 'linux' ? 108 : 104
const MAX_PATH_BYTES = SUN_PATH_SIZE - 1

let dir: string
let cleanup: () => void

beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
})

afterEach(() => {
  cleanup()
})

/** A path in the temporary directory that is exactly `bytes` bytes of UTF-8 long, ending in `fill`s. */
function pathOfBytes(bytes: number, fill = 'x'): string {
  const prefix = `${dir}/`
  const fillBytes = Buffer.byteLength(fill)
  const padding = bytes - Buffer.byteLength(prefix)
  const path = prefix + fill.repeat(Math.floor(padding / fillBytes)) + 'y'.repeat(padding % fillBytes)
  expect(Buffer.byteLength(path)).toBe(bytes)
  return path
}

function tooLong(fn: string, bytes: number): string {
  return (
    `${fn}: path is ${bytes} bytes long (UTF-8); a Unix socket path may be at most ${MAX_PATH_BYTES} bytes ` +
    `on ${process.platform} (sun_path holds ${SUN_PATH_SIZE}, with the terminating NUL)`
  )
}

describe('Unix socket path length', () => {
  it(`listen() and connect() round-trip over a path of ${MAX_PATH_BYTES} bytes; close() removes the file`, async () => {
    const path = pathOfBytes(MAX_PATH_BYTES)
    const server = await listen({ path })
    expect(server.address).toEqual({ path })
    expect(readdirSync(dir)).toEqual([path.slice(dir.length + 1)])
    void server.serve((conn) => pipe(conn, conn))
    const conn = await connect({ path })
    await conn.sink([encoder.encode('fits')])
    expect(decoder.decode(await collectBytes(conn.source))).toBe('fits')
    await conn.close()
    await server.close()
    expect(readdirSync(dir)).toEqual([])
  })

  it(`listen() rejects a path of ${SUN_PATH_SIZE} bytes with RangeError and creates no file`, async () => {
    const path = pathOfBytes(SUN_PATH_SIZE)
    const err = await listen({ path }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RangeError)
    expect((err as Error).message).toBe(tooLong('listen()', SUN_PATH_SIZE))
    expect(readdirSync(dir)).toEqual([])
  })

  it('listen() measures the path in bytes of UTF-8, not characters', async () => {
    // Two-byte characters: fewer characters than the limit, more bytes.
    const path = pathOfBytes(MAX_PATH_BYTES + 1, 'é')
    expect(path.length).toBeLessThanOrEqual(MAX_PATH_BYTES)
    const err = await listen({ path }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RangeError)
    expect((err as Error).message).toBe(tooLong('listen()', MAX_PATH_BYTES + 1))
    expect(readdirSync(dir)).toEqual([])
  })

  it(`connect() rejects a path of ${SUN_PATH_SIZE} bytes with RangeError, not the file its first ${MAX_PATH_BYTES} bytes name`, async () => {
    const path = pathOfBytes(SUN_PATH_SIZE)
    // A server on the truncated path: a connect that cut the path short would reach it.
    await using server = await listen({ path: path.slice(0, -1) })
    void server.serve((conn) => pipe(conn, conn))
    const err = await connect({ path }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RangeError)
    expect((err as Error).message).toBe(tooLong('connect()', SUN_PATH_SIZE))
  })

  it('listen() and connect() accept a Linux abstract name of 108 bytes, and reject 109 (elsewhere a path of 108 bytes)', async () => {
    const name = `\0it-socket-${process.pid}-`.padEnd(108, 'a')
    if (process.platform !== 'linux' && process.platform !== 'android') {
      // No abstract namespace: a name starting with NUL is a path, and 108 bytes is too long for one.
      await expect(listen({ path: name })).rejects.toBeInstanceOf(RangeError)
      return
    }
    if (deviates('bun-abstract-socket-name')) {
      // Bun fails on 108 bytes (EINVAL) where Linux takes them, and listens on 107.
      const err = await listen({ path: name }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SocketError)
      expect((err as Error).cause).toMatchObject({ code: 'EINVAL' })
    }
    const usable = deviates('bun-abstract-socket-name') ? name.slice(0, 107) : name
    await using server = await listen({ path: usable })
    void server.serve((conn) => pipe(conn, conn))
    const conn = await connect({ path: usable })
    await conn.sink([encoder.encode('abstract')])
    expect(decoder.decode(await collectBytes(conn.source))).toBe('abstract')
    await conn.close()
    const err = await listen({ path: `${name}a` }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RangeError)
    expect((err as Error).message).toBe(
      'listen(): path is 109 bytes long; an abstract socket name may be at most 108 bytes on linux',
    )
  })
})
