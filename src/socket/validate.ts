/** Argument checks shared by connect() and listen(): they throw TypeError/RangeError at once. */

/** A port number: an integer 0–65535 (0, "any free port", only where `allowZero`). */
export function validatePort(fn: string, port: unknown, allowZero: boolean): number {
  const min = allowZero ? 0 : 1
  if (typeof port !== 'number' || !Number.isInteger(port) || port < min || port > 65535) {
    throw new RangeError(`${fn}: port must be an integer from ${min} to 65535, got ${String(port)}`)
  }
  return port
}

/** An optional duration in milliseconds: a finite number >= 0. */
export function validateMs(fn: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${fn}: ${name} must be a number of milliseconds >= 0, got ${String(value)}`)
  }
  return value
}

/** An optional count: a positive integer, or Infinity. */
export function validateCount(fn: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (
    typeof value !== 'number' ||
    !(Number.isInteger(value) || value === Number.POSITIVE_INFINITY) ||
    value < 1
  ) {
    throw new RangeError(`${fn}: ${name} must be a positive integer, got ${String(value)}`)
  }
  return value
}

/** A Unix socket path: a non-empty string. */
export function validatePath(fn: string, path: unknown): string {
  if (typeof path !== 'string' || path === '') throw new TypeError(`${fn}: path must be a non-empty string`)
  return path
}
