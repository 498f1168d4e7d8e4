import { type Connection, connect, type Framed, framed, mqtt } from 'it-socket'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startMosquitto } from './servers.js'

// mqtt() against a real broker (mosquitto started by this file with a config in a temp dir: a
// listener on a free port of 127.0.0.1, anonymous clients, no persistence), speaking MQTT 3.1.1 by
// hand. Packet layouts from the MQTT 3.1.1 specification, chapter 3 "MQTT Control Packets"; the
// Remaining Length (§2.2.3) is written by mqtt()'s encoder over a one-byte placeholder.
let server: RunningServer | undefined
beforeAll(async () => {
  server = await startMosquitto()
}, 90_000)
afterAll(() => server?.stop(), 30_000)

const encoder = new TextEncoder()

/** Large enough for the 4-byte Remaining Length case. */
const MAX_LENGTH = 4 * 1024 * 1024

/** A packet for mqtt()'s encoder: the fixed header's first byte, a zero Remaining Length, `parts`. */
function packet(first: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0)
  const bytes = new Uint8Array(2 + length)
  bytes[0] = first
  let at = 2
  for (const part of parts) {
    bytes.set(part, at)
    at += part.length
  }
  return bytes
}

/** A UTF-8 string as MQTT writes it: a two-byte big-endian length, then the bytes (§1.5.3). */
function mqttString(text: string): Uint8Array {
  const bytes = encoder.encode(text)
  return Uint8Array.of(bytes.length >> 8, bytes.length & 0xff, ...bytes)
}

/** CONNECT (§3.1): protocol name "MQTT", level 4 (3.1.1), Clean Session, keep alive 60 s, client id. */
function connectPacket(clientId: string): Uint8Array {
  return packet(0x10, mqttString('MQTT'), Uint8Array.of(0x04, 0x02, 0x00, 60), mqttString(clientId))
}

/** The Remaining Length of a decoded packet and how many bytes it took. */
function remainingLength(bytes: Uint8Array): { value: number; bytes: number } {
  let value = 0
  for (let i = 1; i <= 4; i++) {
    const byte = bytes[i] as number
    value += (byte & 0x7f) * 128 ** (i - 1)
    if (byte < 0x80) return { value, bytes: i }
  }
  throw new Error('Remaining Length longer than 4 bytes')
}

/** A payload of `size` bytes, every byte value present. */
function payload(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff)
}

/** Connects, sends CONNECT, expects CONNACK `20 02 00 00` (accepted, no session present). */
async function client(clientId: string): Promise<{ conn: Connection; m: Framed<Uint8Array> }> {
  if (server === undefined) throw new Error('mosquitto did not start')
  const conn = await connect({ host: '127.0.0.1', port: server.port })
  const m = framed(conn, mqtt({ maxLength: MAX_LENGTH }))
  const connack = await m.request(connectPacket(clientId))
  expect(Array.from(connack)).toEqual([0x20, 0x02, 0x00, 0x00])
  return { conn, m }
}

describe('mqtt() against mosquitto (MQTT 3.1.1)', () => {
  it('CONNECT → CONNACK 20 02 00 00; PINGREQ → PINGRESP; DISCONNECT → the broker closes', async () => {
    const { conn, m } = await client('it-socket-ping')
    try {
      expect(Array.from(await m.request(Uint8Array.of(0xc0, 0x00)))).toEqual([0xd0, 0x00])
      await m.write(Uint8Array.of(0xe0, 0x00))
      expect(await m.read()).toBeUndefined()
    } finally {
      await conn.close()
    }
  })

  it('SUBSCRIBE → SUBACK; PUBLISH QoS 0 with 1-, 2-, 3- and 4-byte Remaining Lengths arrives byte-exact', async () => {
    const topic = 'it-socket/interop/payloads'
    const subscriber = await client('it-socket-subscriber')
    const publisher = await client('it-socket-publisher')
    try {
      // SUBSCRIBE (§3.8): 0x82, packet id 1, topic filter, requested QoS 0. SUBACK: 90 03 00 01 00.
      const suback = await subscriber.m.request(
        packet(0x82, Uint8Array.of(0x00, 0x01), mqttString(topic), Uint8Array.of(0x00)),
      )
      expect(Array.from(suback)).toEqual([0x90, 0x03, 0x00, 0x01, 0x00])

      // PUBLISH (§3.3) QoS 0: 0x30, topic name, no packet id, then the payload. Remaining Lengths
      // at each width's edges: 127 | 128, 16,383 | 16,384, 2,097,151 | 2,097,152; and 200, 20,000.
      const header = 2 + encoder.encode(topic).length
      const cases = [127, 128, 200 + header, 16_383, 16_384, 20_000 + header, 2_097_151, 2_097_152].map(
        (remaining, i) => ({
          remaining,
          width: remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4,
          payload: payload(remaining - header, i),
        }),
      )
      expect(cases.map(({ payload }) => payload.length)).toContain(200)
      expect(cases.map(({ payload }) => payload.length)).toContain(20_000)
      for (const { payload } of cases) await publisher.m.write(packet(0x30, mqttString(topic), payload))

      for (const { remaining, width, payload } of cases) {
        const received = await subscriber.m.read()
        if (received === undefined) throw new Error('the broker closed the subscriber')
        expect(received[0]).toBe(0x30)
        expect(remainingLength(received)).toEqual({ value: remaining, bytes: width })
        expect(received.length).toBe(1 + width + remaining)
        const body = received.subarray(1 + width)
        expect(Array.from(body.subarray(0, header))).toEqual(Array.from(mqttString(topic)))
        expect(Buffer.from(body.subarray(header)).equals(Buffer.from(payload))).toBe(true)
      }

      for (const { m } of [publisher, subscriber]) {
        await m.write(Uint8Array.of(0xe0, 0x00))
        expect(await m.read()).toBeUndefined()
      }
    } finally {
      await publisher.conn.close()
      await subscriber.conn.close()
    }
  })

  it('one connection subscribed to its own topic gets its PUBLISH back', async () => {
    const { conn, m } = await client('it-socket-self')
    try {
      const suback = await m.request(
        packet(0x82, Uint8Array.of(0x12, 0x34), mqttString('it-socket/self'), Uint8Array.of(0x00)),
      )
      expect(Array.from(suback)).toEqual([0x90, 0x03, 0x12, 0x34, 0x00])
      const sent = payload(200, 99)
      const echoed = await m.request(packet(0x30, mqttString('it-socket/self'), sent))
      expect(Array.from(echoed.subarray(0, 3))).toEqual([0x30, 0xd8, 0x01]) // 216 = 0xd8 0x01
      expect(Buffer.from(echoed.subarray(3 + 16)).equals(Buffer.from(sent))).toBe(true)
      await m.write(Uint8Array.of(0xe0, 0x00))
      expect(await m.read()).toBeUndefined()
    } finally {
      await conn.close()
    }
  })
})
