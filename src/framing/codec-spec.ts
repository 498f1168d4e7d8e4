import type { AnyCodec } from './codec.js'
import { delimited } from './delimited.js'
import { fixed } from './fixed.js'
import { json } from './json.js'
import type { LengthEncoding } from './length-prefixed.js'
import { LENGTH_ENCODINGS, lengthPrefixed } from './length-prefixed.js'
import { lines } from './lines.js'
import { dnsTcp, kafka, mqtt, mysql, postgres } from './presets.js'
import { raw } from './raw.js'
import { text } from './text.js'

/** Options of `codec()`, applied to the codecs that have them. */
export interface CodecSpecOptions {
  /**
   * `maxLength` of `lines`, `lp`, `delim` and the protocol codecs (`postgres`, `mysql`, `mqtt`,
   * `kafka`, `dns-tcp`), in bytes.
   * @default their own defaults: MAX_LINE_LENGTH (64 KiB) for lines and delim, MAX_FRAME_LENGTH (1 MiB) for the others
   */
  maxLength?: number
}

/** The forms `codec()` accepts, as its error messages list them. */
export const CODEC_SPECS: readonly string[] = [
  'raw',
  'lines',
  'lp',
  `lp:<${LENGTH_ENCODINGS.join('|')}>`,
  'fixed:<bytes>',
  'delim:<delimiter>',
  'text:<spec>',
  'json:<spec>',
  'postgres',
  'postgres:startup',
  'mysql',
  'mqtt',
  'kafka',
  'dns-tcp',
]

/**
 * A codec by name, for command lines and configuration files. The grammar:
 *
 * ```text
 * spec      = "raw"                  raw()
 *           | "lines"                lines()
 *           | "lp" [":" encoding]    lengthPrefixed({ lengthEncoding })
 *           | "fixed:" size          fixed(size), size a positive decimal integer
 *           | "delim:" delimiter     delimited(delimiter)
 *           | "text:" spec           text(codec): UTF-8 strings over a byte codec (a text codec as is)
 *           | "json:" spec           json(codec): JSON values over a byte or text codec
 *           | "postgres" [":startup"] postgres(), postgres({ startup: true })
 *           | "mysql" | "mqtt" | "kafka" | "dns-tcp"   mysql(), mqtt(), kafka(), dnsTcp()
 * encoding  = "varint" | "uint8" | "uint16be" | "uint32be" | "uint32le"
 * delimiter = one or more characters (UTF-8), with the escapes \0 \n \r \t \\ and \xHH (one byte)
 * ```
 *
 * Examples: `lp:uint32be`, `delim:\r\n`, `delim:\0`, `json:lines` (NDJSON), `text:lp`. The result's
 * `kind` tells what messages are: `'bytes'` (`Uint8Array`), `'text'` (strings) or `'json'` (values),
 * so a CLI can turn each line of stdin into a message for any spec.
 *
 * @throws {TypeError} for a spec not in the grammar; the message lists the valid forms
 * @throws {RangeError} for `fixed:0` or a bad `maxLength`
 */
export function codec(spec: string, options: CodecSpecOptions = {}): AnyCodec {
  if (typeof spec !== 'string') throw new TypeError(`codec spec must be a string, got ${typeof spec}`)
  const { maxLength } = options
  const colon = spec.indexOf(':')
  const name = colon < 0 ? spec : spec.slice(0, colon)
  const arg = colon < 0 ? undefined : spec.slice(colon + 1)
  switch (name) {
    case 'raw':
      if (arg === undefined) return raw()
      break
    case 'lines':
      if (arg === undefined) return lines({ maxLength })
      break
    case 'lp':
      if (arg === undefined) return lengthPrefixed({ maxLength })
      if ((LENGTH_ENCODINGS as readonly string[]).includes(arg)) {
        return lengthPrefixed({ lengthEncoding: arg as LengthEncoding, maxLength })
      }
      break
    case 'fixed':
      if (arg !== undefined && /^\d+$/.test(arg)) return fixed(Number(arg))
      break
    case 'delim':
      if (arg !== undefined && arg.length > 0) return delimited(parseDelimiter(arg, spec), { maxLength })
      break
    case 'text':
    case 'json': {
      if (arg === undefined) break
      const inner = codec(arg, options)
      if (inner.kind === 'json')
        throw new TypeError(`Invalid codec spec "${spec}": ${name}: cannot wrap a json codec`)
      if (name === 'json') return json<unknown>(inner)
      return inner.kind === 'text' ? inner : text(inner)
    }
    case 'postgres':
      if (arg === undefined) return postgres({ maxLength })
      if (arg === 'startup') return postgres({ startup: true, maxLength })
      break
    case 'mysql':
      if (arg === undefined) return mysql({ maxLength })
      break
    case 'mqtt':
      if (arg === undefined) return mqtt({ maxLength })
      break
    case 'kafka':
      if (arg === undefined) return kafka({ maxLength })
      break
    case 'dns-tcp':
      if (arg === undefined) return dnsTcp({ maxLength })
      break
  }
  throw new TypeError(`Unknown codec spec "${spec}": expected one of ${CODEC_SPECS.join(', ')}`)
}

const ESCAPES: Record<string, number> = { '0': 0x00, n: 0x0a, r: 0x0d, t: 0x09, '\\': 0x5c }

/** The bytes of a `delim:` argument: UTF-8, with the escapes resolved. */
function parseDelimiter(arg: string, spec: string): Uint8Array {
  const bytes: number[] = []
  const encoder = new TextEncoder()
  for (let i = 0; i < arg.length; i++) {
    const char = arg[i] as string
    if (char !== '\\') {
      const codePoint = arg.codePointAt(i) as number
      const whole = String.fromCodePoint(codePoint)
      bytes.push(...encoder.encode(whole))
      i += whole.length - 1
      continue
    }
    const next = arg[i + 1]
    const escaped = next === undefined ? undefined : ESCAPES[next]
    if (escaped !== undefined) {
      bytes.push(escaped)
      i++
    } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(arg.slice(i + 2, i + 4))) {
      bytes.push(Number.parseInt(arg.slice(i + 2, i + 4), 16))
      i += 3
    } else {
      throw new TypeError(
        `Invalid codec spec "${spec}": unknown escape "${arg.slice(i, i + 2)}" (valid: \\0 \\n \\r \\t \\\\ \\xHH)`,
      )
    }
  }
  return Uint8Array.from(bytes)
}
