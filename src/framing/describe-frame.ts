/**
 * How a frame error message shows the frame it is about: its first bytes as hex, or its first
 * characters quoted, with how long it was.
 *
 * @module
 */

/** Shows up to `max` bytes as hex for an error message, noting how many more there were. */
export function describeBytes(bytes: Uint8Array, max = 32): string {
  let hex = ''
  const n = Math.min(bytes.length, max)
  for (let i = 0; i < n; i++) hex += (i === 0 ? '' : ' ') + (bytes[i] as number).toString(16).padStart(2, '0')
  const more = bytes.length > max ? ` ... (${bytes.length} bytes)` : ''
  return `<${hex}${more}>`
}

/** Quotes up to `max` characters of a string for an error message. */
export function describeText(text: string, max = 64): string {
  const shown = text.length > max ? `${text.slice(0, max)}...` : text
  return `${JSON.stringify(shown)}${text.length > max ? ` (${text.length} characters)` : ''}`
}
