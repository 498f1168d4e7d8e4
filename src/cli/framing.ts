import { type AnyCodec, CODEC_SPECS, type Codec, codec } from 'it-socket'
import { quote, UsageError } from './usage-error.js'

/** A `--framing` option, parsed. */
export interface Framing {
  /** The spec as given: `lines`, `lp:uint32be`, `json:lines`. */
  readonly spec: string
  /** `codec(spec)`; `kind` says whether messages are bytes, strings or JSON values. */
  readonly codec: AnyCodec
  /** The same codec with one message type, so one code path handles every kind. */
  readonly messages: Codec<unknown>
  /** `raw`: no message boundaries; chunks are written out as they come, with no newline added. */
  readonly raw: boolean
}

/**
 * Parses `--framing SPEC` with the framing module's `codec(spec)`.
 * @throws {UsageError} for an unknown or malformed spec; the message lists the valid forms
 */
export function parseFraming(spec: string, command: string): Framing {
  let parsed: AnyCodec
  try {
    parsed = codec(spec)
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err)
    if (detail.startsWith('Unknown codec spec')) {
      throw new UsageError(
        `unknown framing ${quote(spec)}: expected one of ${CODEC_SPECS.join(', ')}`,
        command,
      )
    }
    throw new UsageError(`bad framing ${quote(spec)}: ${detail}`, command)
  }
  return { spec, codec: parsed, messages: parsed as unknown as Codec<unknown>, raw: spec === 'raw' }
}
