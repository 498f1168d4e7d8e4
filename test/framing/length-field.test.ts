import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { FrameTooLongError, InvalidFrameError, UnexpectedEndError } from '../../src/errors.js'
import { COPY_THRESHOLD } from '../../src/framing/buffers.js'
import type { ByteCodec } from '../../src/framing/codec.js'
import { codec } from '../../src/framing/codec-spec.js'
import { fixed } from '../../src/framing/fixed.js'
import { framed } from '../../src/framing/framed.js'
import { type LengthFieldOptions, lengthField } from '../../src/framing/length-field.js'
import { lengthPrefixed } from '../../src/framing/length-prefixed.js'
import { dnsTcp, kafka, mqtt, mysql, postgres } from '../../src/framing/presets.js'
import { MAX_FRAME_LENGTH } from '../../src/limits.js'
import {
  bytes,
  chunkingArb,
  chunksOf,
  collect,
  concatBytes,
  decodeAll,
  encodeAll,
  hex,
  rejectsWith,
  SEED,
  scriptedDuplex,
  utf8,
} from './helpers.js'

/** A configuration under test: its codec, and how to build a message (header zeroed) around a body. */
interface Config {
  name: string
  codec: () => ByteCodec
  /** The message to encode for `body`: the header with its field zeroed (or a 0 varint), then `body`. */
  message: (body: Uint8Array, tag: number) => Uint8Array
  /** Fewest body bytes (a positive `adjust` needs that many). */
  minBody: number
  /** Most body bytes the field can hold. */
  maxBody: number
  /** Whether `strip` removes the header (messages are bodies). */
  stripped?: boolean
}

const withHeader = (head: number[], body: Uint8Array): Uint8Array =>
  concatBytes([Uint8Array.from(head), body])

const CONFIGS: Config[] = [
  {
    name: 'lengthField uint32be at 0, stripped (lengthPrefixed)',
    codec: () => lengthField({ length: 4, strip: 4 }),
    message: (body) => body,
    minBody: 0,
    maxBody: 5000,
    stripped: true,
  },
  {
    name: 'lengthField uint16le at 2, counting itself',
    codec: () => lengthField({ offset: 2, length: 2, endian: 'little', adjust: -2 }),
    message: (body, tag) => withHeader([tag, tag ^ 0xff, 0, 0], body),
    minBody: 0,
    maxBody: 5000,
  },
  {
    name: 'lengthField 8-byte at 3, stripped with leading bytes',
    codec: () => lengthField({ offset: 3, length: 8, strip: 11, leading: bytes(1, 2, 3) }),
    message: (body) => body,
    minBody: 0,
    maxBody: 5000,
    stripped: true,
  },
  {
    name: 'lengthField 3-byte big-endian, 2 trailing bytes uncounted',
    codec: () => lengthField({ length: 3, adjust: 2 }),
    message: (body) => withHeader([0, 0, 0], body),
    minBody: 2,
    maxBody: 5000,
  },
  {
    name: 'lengthField varint at 2, adjust -1',
    codec: () => lengthField({ offset: 2, length: 'varint', adjust: -1 }),
    message: (body, tag) => withHeader([tag, 7, 0], body),
    minBody: 0,
    maxBody: 5000,
  },
  {
    name: 'postgres()',
    codec: () => postgres(),
    message: (body, tag) => withHeader([0x41 + (tag % 26), 0, 0, 0, 0], body),
    minBody: 0,
    maxBody: 5000,
  },
  {
    name: 'postgres({ startup: true })',
    codec: () => postgres({ startup: true }),
    message: (body) => withHeader([0, 0, 0, 0], body),
    minBody: 0,
    maxBody: 5000,
  },
  {
    name: 'mysql()',
    codec: () => mysql(),
    message: (body, tag) => withHeader([0, 0, 0, tag], body),
    minBody: 0,
    maxBody: 5000,
  },
  {
    name: 'mqtt()',
    codec: () => mqtt(),
    message: (body, tag) => withHeader([tag, 0], body),
    minBody: 0,
    maxBody: 5000,
  },
  {
    name: 'kafka()',
    codec: () => kafka(),
    message: (body) => body,
    minBody: 0,
    maxBody: 5000,
    stripped: true,
  },
  {
    name: 'dnsTcp()',
    codec: () => dnsTcp(),
    message: (body) => body,
    minBody: 0,
    maxBody: 5000,
    stripped: true,
  },
]

/** The wire bytes of `messages` and what decoding them yields (the frames, or the messages when stripped). */
async function framesOf(c: ByteCodec, messages: Uint8Array[]): Promise<[Uint8Array, Uint8Array[]]> {
  const frames = await Promise.all(messages.map((m) => encodeAll(c, [m])))
  return [concatBytes(frames), frames]
}

describe('lengthField() and its presets: round trips', () => {
  for (const config of CONFIGS) {
    it(`${config.name} round-trips any messages under any chunking, and encode(decode(wire)) is wire (property)`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.tuple(
              fc.oneof(
                fc.uint8Array({ maxLength: 200 }),
                fc.uint8Array({ minLength: 1000, maxLength: 3000 }),
              ),
              fc.integer({ min: 0, max: 255 }),
            ),
            { maxLength: 10 },
          ),
          chunkingArb,
          async (generated, chunking) => {
            const c = config.codec()
            const messages = generated.map(([body, tag]) => {
              let b = body.subarray(0, config.maxBody)
              if (b.length < config.minBody) b = new Uint8Array(config.minBody).fill(tag)
              return config.message(b, tag)
            })
            const [wire, frames] = await framesOf(c, messages)
            const decoded = await decodeAll(c, chunking(wire))
            expect(hex(decoded)).toEqual(hex(config.stripped ? messages : frames))
            expect(hex([await encodeAll(c, decoded)])).toEqual(hex([wire]))
          },
        ),
        { seed: SEED, numRuns: 60 },
      )
    })
  }

  it('lengthField() round-trips frames larger than COPY_THRESHOLD, encoding them as header + body without copying', async () => {
    for (const config of CONFIGS) {
      const c = config.codec()
      const body = Uint8Array.from({ length: 40_000 }, (_, i) => i & 0xff)
      const message = config.message(body, 3)
      const out = await collect(c.encode([message]))
      expect(out, config.name).toHaveLength(1)
      expect(out[0], config.name).toBeInstanceOf(Uint8ArrayList)
      const wire = concatBytes(out)
      for (const size of [1, 7, 4096, wire.length]) {
        const [decoded] = await decodeAll(c, chunksOf(wire, size))
        expect(hex([await encodeAll(c, [decoded as Uint8Array])]), config.name).toEqual(hex([wire]))
      }
    }
  })

  it('lengthField() decodes a frame within one chunk as a view of that chunk, and copies one spanning chunks once', async () => {
    const c = postgres()
    const chunk = bytes(0x5a, 0, 0, 0, 5, 0x49, 0x5a, 0, 0, 0, 5, 0x54)
    const [a, b] = await decodeAll(c, [chunk])
    expect(a?.buffer).toBe(chunk.buffer)
    expect(b?.buffer).toBe(chunk.buffer)
    const [spanning] = await decodeAll(c, [chunk.subarray(0, 2), chunk.subarray(2, 6)])
    expect([...(spanning as Uint8Array)]).toEqual([0x5a, 0, 0, 0, 5, 0x49])
    expect(spanning?.buffer.byteLength).toBe(6)
  })

  it('lengthField() configured as a plain prefix writes what lengthPrefixed() writes', async () => {
    const messages = [bytes(), bytes(1, 2, 3), new Uint8Array(300).fill(9)]
    const pairs: Array<[LengthFieldOptions, Parameters<typeof lengthPrefixed>[0]]> = [
      [{ length: 1, strip: 1 }, { lengthEncoding: 'uint8' }],
      [{ length: 2, strip: 2 }, { lengthEncoding: 'uint16be' }],
      [{ length: 4, strip: 4 }, { lengthEncoding: 'uint32be' }],
      [{ length: 4, endian: 'little', strip: 4 }, { lengthEncoding: 'uint32le' }],
    ]
    for (const [ours, theirs] of pairs) {
      const sample = theirs?.lengthEncoding === 'uint8' ? messages.slice(0, 2) : messages
      expect(hex([await encodeAll(lengthField(ours), sample)])).toEqual(
        hex([await encodeAll(lengthPrefixed(theirs), sample)]),
      )
    }
    // The same layout through the general path (2-byte little-endian has no lengthPrefixed twin).
    const le16 = await encodeAll(lengthField({ length: 2, endian: 'little', strip: 2 }), [bytes(7, 8, 9)])
    expect([...le16]).toEqual([3, 0, 7, 8, 9])
  })
})

describe('presets: wire bytes checked against the protocol documents', () => {
  it('postgres(): ReadyForQuery is Z 00 00 00 05 I (PostgreSQL "Message Formats": Int32(5) counts itself)', async () => {
    const wire = bytes(0x5a, 0, 0, 0, 5, 0x49)
    const [frame] = await decodeAll(postgres(), [wire])
    expect(hex([frame as Uint8Array])).toEqual(hex([wire]))
    expect(hex([await encodeAll(postgres(), [bytes(0x5a, 0, 0, 0, 0, 0x49)])])).toEqual(hex([wire]))
    // Query 'Q' Int32(len) "SELECT 6*7\0": the length counts itself and the string, not the type byte.
    const query = await encodeAll(postgres(), [concatBytes([bytes(0x51, 0, 0, 0, 0), utf8('SELECT 6*7\0')])])
    expect([...query.subarray(0, 5)]).toEqual([0x51, 0, 0, 0, 4 + 11])
    // Terminate: X Int32(4).
    expect([...(await encodeAll(postgres(), [bytes(0x58, 0, 0, 0, 0)]))]).toEqual([0x58, 0, 0, 0, 4])
  })

  it('postgres({ startup: true }): SSLRequest is Int32(8) Int32(80877103), no type byte', async () => {
    const ssl = bytes(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f)
    expect(80877103).toBe(0x04d2162f)
    expect(
      hex([await encodeAll(postgres({ startup: true }), [bytes(0, 0, 0, 0, 0x04, 0xd2, 0x16, 0x2f)])]),
    ).toEqual(hex([ssl]))
    expect(hex(await decodeAll(postgres({ startup: true }), [ssl]))).toEqual(hex([ssl]))
  })

  it('postgres(): the recipe for the unframed S/N answer to SSLRequest: fixed(1), then unwrap() to postgres()', async () => {
    const ready = bytes(0x5a, 0, 0, 0, 5, 0x49)
    const conn = scriptedDuplex([concatBytes([utf8('N'), ready.subarray(0, 3)]), ready.subarray(3)])
    const answer = framed(conn, fixed(1))
    expect([...((await answer.read()) as Uint8Array)]).toEqual([0x4e])
    const messages = framed(answer.unwrap(), postgres())
    expect(hex(await collect(messages.source))).toEqual(hex([ready]))
  })

  it('mysql(): COM_QUIT is 01 00 00 00 01 (MySQL "MySQL Packets": int<3> payload_length, int<1> sequence_id)', async () => {
    const quit = bytes(0x01, 0x00, 0x00, 0x00, 0x01)
    expect(hex([await encodeAll(mysql(), [bytes(0, 0, 0, 0, 0x01)])])).toEqual(hex([quit]))
    expect(hex(await decodeAll(mysql(), [quit]))).toEqual(hex([quit]))
    // A 300-byte payload with sequence id 2: length 2C 01 00 little-endian, then 02.
    const big = await encodeAll(mysql(), [concatBytes([bytes(0, 0, 0, 2), new Uint8Array(300)])])
    expect([...big.subarray(0, 4)]).toEqual([0x2c, 0x01, 0x00, 0x02])
    expect(big.length).toBe(304)
    // The most a 3-byte length holds is 16 MiB - 1.
    const err = await rejectsWith(
      encodeAll(mysql({ maxLength: 2 ** 25 }), [new Uint8Array(4 + 2 ** 24)]),
      FrameTooLongError,
    )
    expect(err.message).toBe(
      'Cannot encode frame: length 16777216 exceeds 16777215, the most a 3-byte field can hold',
    )
  })

  it('mqtt(): PINGREQ C0 00 and CONNACK 20 02 00 00 (MQTT 3.1.1 §3.12, §3.2)', async () => {
    const wire = bytes(0xc0, 0x00, 0x20, 0x02, 0x00, 0x00)
    expect(hex(await decodeAll(mqtt(), [wire]))).toEqual(hex([bytes(0xc0, 0), bytes(0x20, 2, 0, 0)]))
    expect(hex([await encodeAll(mqtt(), [bytes(0xc0, 0), bytes(0x20, 0, 0, 0)])])).toEqual(hex([wire]))
  })

  it('mqtt(): PUBLISH of 200 B and 20,000 B take 2- and 3-byte Remaining Lengths (MQTT 3.1.1 §2.2.3)', async () => {
    // PUBLISH QoS 0 to "a/b": 30, Remaining Length, 00 03 'a/b', payload.
    const publish = (n: number): Uint8Array =>
      concatBytes([bytes(0x30, 0, 0, 3), utf8('a/b'), new Uint8Array(n).fill(7)])
    const small = await encodeAll(mqtt(), [publish(200)]) // 205 = CD 01
    expect([...small.subarray(0, 6)]).toEqual([0x30, 0xcd, 0x01, 0x00, 0x03, 0x61])
    expect(small.length).toBe(1 + 2 + 205)
    const large = await encodeAll(mqtt(), [publish(20_000)]) // 20,005 = A5 9C 01
    expect([...large.subarray(0, 5)]).toEqual([0x30, 0xa5, 0x9c, 0x01, 0x00])
    expect(large.length).toBe(1 + 3 + 20_005)
    const decoded = await decodeAll(mqtt(), chunksOf(concatBytes([small, large]), 1000))
    expect(hex(decoded)).toEqual(hex([small, large]))
    // The spec's own example: 321 is C1 02.
    const example = await encodeAll(mqtt(), [concatBytes([bytes(0x30, 0), new Uint8Array(321)])])
    expect([...example.subarray(0, 3)]).toEqual([0x30, 0xc1, 0x02])
    // 268,435,455 (FF FF FF 7F) is the most 4 bytes hold (a zero-filled buffer: nothing is copied).
    const tooBig = new Uint8Array(2 + 268_435_456)
    tooBig[0] = 0x30
    const err = await rejectsWith(encodeAll(mqtt({ maxLength: 2 ** 32 - 1 }), [tooBig]), FrameTooLongError)
    expect(err.message).toBe(
      'Cannot encode frame: length 268435456 exceeds 268435455, the most a 4-byte varint can hold',
    )
  })

  it('mqtt(): encode keeps a Remaining Length already right, even non-minimal, and rewrites a wrong one', async () => {
    const nonMinimal = bytes(0xc0, 0x80, 0x00)
    expect(hex(await decodeAll(mqtt(), [nonMinimal]))).toEqual(hex([nonMinimal]))
    expect(hex([await encodeAll(mqtt(), [nonMinimal])])).toEqual(hex([nonMinimal]))
    expect([...(await encodeAll(mqtt(), [bytes(0x30, 0x83, 0x01, 9, 9)]))]).toEqual([0x30, 2, 9, 9])
  })

  it('kafka(): a 12-byte request is preceded by 00 00 00 0C (Kafka protocol guide: Size int32, not counting itself)', async () => {
    const request = Uint8Array.from({ length: 12 }, (_, i) => i)
    const wire = await encodeAll(kafka(), [request])
    expect([...wire.subarray(0, 4)]).toEqual([0, 0, 0, 12])
    expect(hex(await decodeAll(kafka(), [wire]))).toEqual(hex([request]))
  })

  it('dnsTcp(): a 29-byte query is preceded by 00 1D (RFC 1035 §4.2.2); 65,536 bytes is refused', async () => {
    const query = new Uint8Array(29).fill(1)
    const wire = await encodeAll(dnsTcp(), [query])
    expect([...wire.subarray(0, 2)]).toEqual([0x00, 0x1d])
    expect(hex(await decodeAll(dnsTcp(), chunksOf(wire, 1)))).toEqual(hex([query]))
    await rejectsWith(encodeAll(dnsTcp({ maxLength: 100_000 }), [new Uint8Array(65_536)]), FrameTooLongError)
  })

  it('codec() names each preset', async () => {
    const names: Array<[string, ByteCodec]> = [
      ['postgres', postgres()],
      ['postgres:startup', postgres({ startup: true })],
      ['mysql', mysql()],
      ['mqtt', mqtt()],
      ['kafka', kafka()],
      ['dns-tcp', dnsTcp()],
    ]
    for (const [spec, preset] of names) {
      const c = codec(spec)
      expect(c.kind, spec).toBe('bytes')
      const message = spec === 'mqtt' ? bytes(0xc0, 0) : new Uint8Array(9)
      if (c.kind === 'bytes') {
        expect(hex([await encodeAll(c, [message])]), spec).toEqual(hex([await encodeAll(preset, [message])]))
      }
    }
    const limited = codec('postgres', { maxLength: 5 })
    if (limited.kind === 'bytes') {
      await rejectsWith(decodeAll(limited, [bytes(0x44, 0, 0, 0, 5, 1)]), FrameTooLongError)
    }
    expect(() => codec('mqtt:5')).toThrow(TypeError)
  })
})

describe('lengthField(): the hostile table', () => {
  it('fails with FrameTooLongError on a header announcing 2 GiB, before any payload is read', async () => {
    for (const [name, c, header] of [
      ['postgres', postgres(), bytes(0x44, 0x7f, 0xff, 0xff, 0xff)],
      ['mysql', mysql(), bytes(0xff, 0xff, 0xff, 0x00)],
      ['mqtt', mqtt(), bytes(0x30, 0xff, 0xff, 0xff, 0x7f)],
      ['kafka', kafka(), bytes(0x7f, 0xff, 0xff, 0xff)],
      ['8-byte', lengthField({ length: 8 }), bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
    ] as const) {
      let pulled = 0
      async function* hostile() {
        pulled++
        yield header
        pulled++
        yield new Uint8Array(1024)
      }
      const err = await rejectsWith(collect(c.decode(hostile())), FrameTooLongError)
      expect(err.message, name).toMatch(new RegExp(`exceeds maxLength ${MAX_FRAME_LENGTH}$`))
      expect(pulled, name).toBe(1)
    }
  })

  it('accepts a message of exactly maxLength and fails at maxLength + 1, both ways', async () => {
    const c = postgres({ maxLength: 10 })
    const ok = bytes(0x44, 0, 0, 0, 9, 1, 2, 3, 4, 5)
    expect(hex(await decodeAll(c, [ok]))).toEqual(hex([ok]))
    const err = await rejectsWith(decodeAll(c, [bytes(0x44, 0, 0, 0, 10)]), FrameTooLongError)
    expect(err.message).toBe('Cannot decode frame: length 11 exceeds maxLength 10')
    await rejectsWith(encodeAll(c, [new Uint8Array(11)]), FrameTooLongError)
  })

  it('fails with InvalidFrameError on a varint that never ends', async () => {
    const mq = await rejectsWith(
      decodeAll(mqtt(), [bytes(0x30, 0x80, 0x80, 0x80, 0x80, 0x01)]),
      InvalidFrameError,
    )
    expect(mq.message).toBe('Cannot decode frame: varint length field longer than 4 bytes')
    await rejectsWith(decodeAll(mqtt(), chunksOf(bytes(0x30, 0xff, 0xff, 0xff, 0xff), 1)), InvalidFrameError)
    const eleven = new Uint8Array(11).fill(0x80)
    const lf = await rejectsWith(decodeAll(lengthField({ length: 'varint' }), [eleven]), InvalidFrameError)
    expect(lf.message).toBe('Cannot decode frame: varint length field longer than 10 bytes')
    // Ten bytes, but over 2^53 - 1.
    const huge = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)
    const over = await rejectsWith(decodeAll(lengthField({ length: 'varint' }), [huge]), InvalidFrameError)
    expect(over.message).toBe('Cannot decode frame: varint length field over 2^53 - 1')
  })

  it('fails with InvalidFrameError on a negative adjusted length', async () => {
    const err = await rejectsWith(decodeAll(postgres(), [bytes(0x5a, 0, 0, 0, 3, 0x49)]), InvalidFrameError)
    expect(err.message).toBe(
      'Cannot decode frame: length field 3 with adjust -4 leaves -1 bytes after the header',
    )
    await rejectsWith(encodeAll(lengthField({ length: 1, adjust: 3 }), [bytes(0, 1, 2)]), InvalidFrameError)
  })

  it('fails with UnexpectedEndError when the stream ends inside a header or a frame', async () => {
    const mid = await rejectsWith(decodeAll(postgres(), [bytes(0x5a, 0, 0, 0, 6, 0x49)]), UnexpectedEndError)
    expect(mid.message).toBe('Cannot decode frame: stream ended after 6 of 7 bytes of a frame')
    const head = await rejectsWith(decodeAll(postgres(), [bytes(0x5a, 0)]), UnexpectedEndError)
    expect(head.message).toBe('Cannot decode frame: stream ended inside a frame header (2 bytes read)')
    await rejectsWith(decodeAll(mqtt(), [bytes(0x30)]), UnexpectedEndError)
    await rejectsWith(decodeAll(kafka(), [bytes(0, 0, 0, 2, 1)]), UnexpectedEndError)
  })

  it('refuses to encode a message shorter than its header or not bytes', async () => {
    const err = await rejectsWith(encodeAll(postgres(), [bytes(0x5a, 0)]), InvalidFrameError)
    expect(err.message).toBe(
      'Cannot encode frame: 2 bytes is shorter than its 5-byte header (offset + length field)',
    )
    await rejectsWith(encodeAll(mqtt(), [bytes(0x30)]), InvalidFrameError)
    const wrong = await rejectsWith(encodeAll(mqtt() as never, ['x']), TypeError)
    expect(wrong.message).toMatch(/^mqtt\(\): cannot encode a string/)
  })
})

describe('lengthField(): options', () => {
  it('throws TypeError or RangeError at once for bad options, naming the option', () => {
    const bad: Array<[unknown, ErrorConstructor, RegExp]> = [
      [{ length: 5 }, TypeError, /^length must be one of 1, 2, 3, 4, 8, varint/],
      [{}, TypeError, /^length must be/],
      [{ length: 4, offset: -1 }, RangeError, /^offset/],
      [{ length: 4, offset: '1' }, TypeError, /^offset/],
      [{ length: 4, endian: 'middle' }, TypeError, /^endian/],
      [{ length: 4, adjust: 0.5 }, RangeError, /^adjust/],
      [{ length: 4, offset: 1, strip: 1 }, TypeError, /^strip must be 0 or 5/],
      [{ length: 'varint', strip: 1 }, TypeError, /^strip must be 0 with a varint/],
      [{ length: 4, leading: bytes(1) }, TypeError, /^leading/],
      [{ length: 4, offset: 2, strip: 6, leading: bytes(1) }, RangeError, /^leading/],
      [{ length: 4, varintBytes: 4 }, TypeError, /^varintBytes/],
      [{ length: 'varint', varintBytes: 11 }, RangeError, /^varintBytes/],
      [{ length: 4, maxLength: 0 }, RangeError, /^maxLength/],
      [{ length: 4, maxLength: 2 ** 32 }, RangeError, /^maxLength/],
      [null, TypeError, /options must be an object/],
    ]
    for (const [options, errorClass, message] of bad) {
      expect(() => lengthField(options as LengthFieldOptions), JSON.stringify(options)).toThrow(errorClass)
      expect(() => lengthField(options as LengthFieldOptions), JSON.stringify(options)).toThrow(message)
    }
    expect(() => postgres({ startup: 'yes' as unknown as boolean })).toThrow(TypeError)
  })

  it('does not mutate its options object or keep its leading buffer', async () => {
    const leading = bytes(7)
    const options = Object.freeze({ offset: 1, length: 2 as const, strip: 3, leading })
    const c = lengthField(options)
    leading[0] = 8
    expect([...(await encodeAll(c, [bytes(5)]))]).toEqual([7, 0, 1, 5])
  })
})

describe('lengthField(): unwrap()', () => {
  it("createDecoder().take() hands back a partial frame's header, body and unread bytes in order", () => {
    const decoder = postgres().createDecoder?.()
    if (decoder === undefined) throw new Error('no createDecoder')
    decoder.push(bytes(0x5a, 0, 0, 0, 5, 0x49, 0x44, 0, 0))
    expect(hex([decoder.next() as Uint8Array])).toEqual(['5a0000000549'])
    expect(decoder.next()).toBeUndefined()
    decoder.push(bytes(0, 8, 1))
    expect(decoder.next()).toBeUndefined()
    decoder.push(bytes(2, 3))
    expect(decoder.next()).toBeUndefined()
    expect(hex([concatBytes(decoder.take())])).toEqual(['4400000008010203'])
  })

  it('framed(conn, postgres({ startup: true })) reads the startup message, then unwrap() switches to postgres()', async () => {
    const startup = bytes(0, 0, 0, 8, 0, 3, 0, 0)
    const query = concatBytes([bytes(0x51, 0, 0, 0, 8), utf8('SEL\0')])
    const conn = scriptedDuplex([concatBytes([startup, query.subarray(0, 2)]), query.subarray(2)])
    const first = framed(conn, postgres({ startup: true }))
    expect(hex([(await first.read()) as Uint8Array])).toEqual(hex([startup]))
    const rest = framed(first.unwrap(), postgres())
    expect(hex(await collect(rest.source))).toEqual(hex([query]))
  })
})

describe('COPY_THRESHOLD', () => {
  it('lengthField() copies frames up to COPY_THRESHOLD into one buffer', async () => {
    const c = postgres()
    const fits = new Uint8Array(COPY_THRESHOLD).fill(1)
    fits[0] = 0x44
    const [out] = await collect(c.encode([fits]))
    expect(out).toBeInstanceOf(Uint8Array)
    expect((out as Uint8Array).length).toBe(COPY_THRESHOLD)
  })
})
