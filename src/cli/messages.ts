import type { Chunk, Codec } from 'it-socket'
import { until } from 'it-socket'
import type { Framing } from './framing.js'

/** A transform of decoded messages, as `until()` returns. */
export type MessageTransform = (source: AsyncIterable<unknown>) => AsyncIterable<unknown>

const encoder = new TextEncoder()
const NEWLINE = 0x0a

/**
 * The bytes printed for one received message, in one buffer so that lines of concurrent peers never
 * interleave: a string (`text` kinds) or `JSON.stringify` (`json`) or the bytes as UTF-8 (`bytes`)
 * followed by `\n`. `raw` chunks are printed as they are; with a `prefix` (several peers) a raw chunk
 * gets a `\n` too, unless it ends with one, so each prefixed chunk is one line.
 */
export function formatMessage(framing: Framing, message: unknown, prefix = ''): Uint8Array {
  if (message instanceof Uint8Array) {
    const newline = !framing.raw || (prefix !== '' && message[message.length - 1] !== NEWLINE)
    if (prefix === '' && !newline) return message
    const head = encoder.encode(prefix)
    const out = new Uint8Array(head.length + message.length + (newline ? 1 : 0))
    out.set(head)
    out.set(message, head.length)
    if (newline) out[out.length - 1] = NEWLINE
    return out
  }
  const text = framing.codec.kind === 'json' ? JSON.stringify(message) : String(message)
  return encoder.encode(`${prefix}${text}\n`)
}

/**
 * The message one line of stdin (without its `\n`) stands for: its UTF-8 bytes for byte framings,
 * the string for text framings, `JSON.parse` of it for JSON framings.
 * @throws {SyntaxError} for a line that is not JSON, under a JSON framing
 */
export function parseLine(framing: Framing, line: string): unknown {
  switch (framing.codec.kind) {
    case 'bytes':
      return encoder.encode(line)
    case 'text':
      return line
    case 'json':
      try {
        return JSON.parse(line)
      } catch (err) {
        throw new SyntaxError(`not JSON: ${err instanceof Error ? err.message : String(err)}`)
      }
  }
}

/** Encodes one message into one chunk, with the codec's `encodeFrame` when it has one. */
export async function encodeMessage(codec: Codec<unknown>, message: unknown): Promise<Chunk> {
  if (codec.encodeFrame !== undefined) return codec.encodeFrame(message)
  const chunks: Uint8Array[] = []
  for await (const chunk of codec.encode([message])) chunks.push(chunk.subarray())
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
}

/**
 * `--until MSG` as a transform: `until(MSG)` on the decoded messages (a string or bytes message
 * equal to MSG). For JSON framings a value matches when it is the string MSG or its JSON text is
 * MSG (`--until bye` matches `"bye"`, `--until '{"quit":true}'` matches that object). For `raw`
 * there are no message boundaries: a chunk must equal MSG exactly. Without MSG, messages pass.
 */
export function terminator(framing: Framing, message: string | undefined): MessageTransform {
  if (message === undefined) return (source) => source
  if (framing.codec.kind === 'json') {
    return until<unknown>((value) => value === message || JSON.stringify(value) === message)
  }
  return until(message) as MessageTransform
}
