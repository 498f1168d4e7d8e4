/**
 * Subscribes to a topic on an MQTT broker, publishes a message to it and prints the message the
 * broker delivers back, over one connection with `framed(conn, mqtt())` (MQTT 3.1.1, QoS 0).
 * Run: node dist/examples/mqtt-pubsub.js [PORT=1883] [TOPIC=it-socket/example] [MESSAGE="hello, mqtt"]
 */
import { connect, framed, mqtt } from 'it-socket'

const port = Number(process.argv[2] ?? 1883)
const topic = process.argv[3] ?? 'it-socket/example'
const text = process.argv[4] ?? 'hello, mqtt'
// A string is its two-byte length, then UTF-8. A packet is its first byte, the Remaining Length
// (a 0 placeholder: mqtt() writes it when it encodes), then the rest.
const str = (s: string) =>
  Buffer.concat([Buffer.of(Buffer.byteLength(s) >> 8, Buffer.byteLength(s) & 0xff), Buffer.from(s)])
const packet = (first: number, ...rest: Buffer[]) => Buffer.concat([Buffer.of(first, 0), ...rest])

await using conn = await connect({ host: '127.0.0.1', port })
const m = framed(conn, mqtt())
// CONNECT: protocol "MQTT" level 4 (3.1.1), clean session, keep alive 60 s, a client id. CONNACK: 20 02 00 00.
const connack = await m.request(
  packet(0x10, str('MQTT'), Buffer.of(4, 0x02, 0, 60), str(`it-socket-${process.pid}`)),
)
if (connack[3] !== 0) throw new Error(`CONNECT refused, return code ${connack[3]}`)
// SUBSCRIBE: packet id 1, the topic, QoS 0. SUBACK: 90 03 00 01 then the granted QoS (0x80 is failure).
const suback = await m.request(packet(0x82, Buffer.of(0, 1), str(topic), Buffer.of(0)))
if (suback[4] === 0x80) throw new Error(`SUBSCRIBE to ${topic} refused`)
// PUBLISH QoS 0 has no reply of its own, but we are subscribed: the next packet is our message.
const publish = await m.request(packet(0x30, str(topic), Buffer.from(text)))
let at = 1
while ((publish[at++] ?? 0) & 0x80); // skip the Remaining Length
const topicEnd = at + 2 + (((publish[at] ?? 0) << 8) | (publish[at + 1] ?? 0))
const decode = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8')
console.log(`${decode(publish.subarray(at + 2, topicEnd))}: ${decode(publish.subarray(topicEnd))}`)
await m.write(Buffer.of(0xe0, 0)) // DISCONNECT
