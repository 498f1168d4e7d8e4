import fc from 'fast-check'
import { codec, FrameTooLongError, InvalidFrameError, UnexpectedEndError } from 'it-socket'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'

// Every decoder, fed arbitrary bytes in arbitrary chunks, either yields messages within its limit or
// fails with one of the documented framing errors — never anything else, never a hang.
const MAX = 256
const specs = [
  'raw',
  'lines',
  'lp',
  'lp:uint8',
  'lp:uint16be',
  'lp:uint32be',
  'lp:uint32le',
  'fixed:7',
  'delim:\\0',
  'delim:\\r\\n',
  'text:lp',
  'json:lines',
  'json:lp',
]
const DOCUMENTED = [FrameTooLongError, InvalidFrameError, UnexpectedEndError]
const runs = process.env.SOAK === '1' ? 5_000 : 300

/** The byte length of a decoded message, whatever its kind. */
function sizeOf(message: unknown): number {
  if (message instanceof Uint8Array) return message.byteLength
  if (typeof message === 'string') return Buffer.byteLength(message)
  return Buffer.byteLength(JSON.stringify(message) ?? '')
}

describe('decoders under arbitrary input', () => {
  it.each(specs)(
    'codec(%s).decode throws only documented errors and never yields past maxLength',
    async (spec) => {
      const c = codec(spec, spec === 'raw' || spec.startsWith('fixed') ? {} : { maxLength: MAX })
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 12 }),
          fc.boolean(),
          async (chunks, asLists) => {
            const source = chunks.map((chunk) =>
              asLists && chunk.length > 1
                ? new Uint8ArrayList(chunk.subarray(0, chunk.length >> 1), chunk.subarray(chunk.length >> 1))
                : chunk,
            )
            try {
              for await (const message of c.decode(source)) {
                if (spec !== 'raw' && !spec.startsWith('json'))
                  expect(sizeOf(message)).toBeLessThanOrEqual(MAX)
              }
            } catch (err) {
              if (!DOCUMENTED.some((type) => err instanceof type)) throw err
              expect((err as { code: string }).code).toMatch(
                /^ERR_(FRAME_TOO_LONG|INVALID_FRAME|UNEXPECTED_EOF)$/,
              )
            }
          },
        ),
        { seed: 20261124, numRuns: runs },
      )
    },
  )
})
