/**
 * Argument checks shared by connect(), listen() and udp: they throw TypeError/RangeError at once,
 * before any socket exists, so a bad option can never leave one behind.
 */

import { describeValue } from '../describe.js'
import { MAX_TIMER_MS } from '../limits.js'

/**
 * The options argument itself: an object (`null`, or a port number given alone, is refused with a
 * TypeError rather than failing on its first field).
 */
export function validateOptions(fn: string, options: unknown): asserts options is object {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${fn}: options must be an object, got ${describeValue(options)}`)
  }
}

/** A port number: an integer 0–65535 (0, "any free port", only where `allowZero`). */
export function validatePort(fn: string, port: unknown, allowZero: boolean): number {
  const min = allowZero ? 0 : 1
  if (typeof port !== 'number' || !Number.isInteger(port) || port < min || port > 65535) {
    throw new RangeError(`${fn}: port must be an integer from ${min} to 65535, got ${describeValue(port)}`)
  }
  return port
}

/** An optional duration in milliseconds: a finite number >= 0. */
export function validateMs(fn: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new RangeError(
      `${fn}: ${name} must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${describeValue(value)}`,
    )
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
    throw new RangeError(`${fn}: ${name} must be a positive integer, got ${describeValue(value)}`)
  }
  return value
}

/** An optional boolean flag. */
export function validateBoolean(fn: string, name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw new TypeError(`${fn}: ${name} must be a boolean, got ${describeValue(value)}`)
}

/** The optional `keepAlive` of TCP sockets: a boolean, or the initial delay in milliseconds (>= 0). */
export function validateKeepAlive(fn: string, value: unknown): boolean | number | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  if (typeof value !== 'number') {
    throw new TypeError(
      `${fn}: keepAlive must be a boolean or a number of milliseconds, got ${describeValue(value)}`,
    )
  }
  return validateMs(fn, 'keepAlive', value)
}

/** An optional `AbortSignal`: anything else would fail only once a socket exists. */
export function validateSignal(fn: string, signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal
  throw new TypeError(`${fn}: signal must be an AbortSignal, got ${describeValue(signal)}`)
}

/** A host name or IP address: a non-empty string. */
export function validateHost(fn: string, host: unknown): string {
  if (typeof host !== 'string' || host === '') {
    throw new TypeError(`${fn}: host must be a non-empty string, got ${describeValue(host)}`)
  }
  return host
}

/**
 * Size of `sun_path`, the field a Unix socket path is copied into, in bytes including the terminating
 * NUL: 108 on Linux, 104 on macOS and the BSDs. Past it the OS (or libuv) cuts the path short and
 * binds a different file (https://man7.org/linux/man-pages/man7/unix.7.html). Other systems are not
 * checked here.
 */
const SUN_PATH_SIZE: Partial<Record<NodeJS.Platform, number>> = {
  linux: 108,
  android: 108,
  darwin: 104,
  freebsd: 104,
  openbsd: 104,
  netbsd: 104,
}

/**
 * A Unix socket path: a non-empty string whose UTF-8 fits `sun_path` with its terminating NUL. A
 * Linux abstract socket name (starting with NUL) needs no terminator, so it may fill `sun_path`.
 */
export function validatePath(fn: string, path: unknown): string {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`${fn}: path must be a non-empty string, got ${describeValue(path)}`)
  }
  const size = SUN_PATH_SIZE[process.platform]
  if (size === undefined) return path
  const bytes = Buffer.byteLength(path)
  const abstract = path.startsWith('\0') && (process.platform === 'linux' || process.platform === 'android')
  const max = abstract ? size : size - 1
  if (bytes > max) {
    throw new RangeError(
      abstract
        ? `${fn}: path is ${bytes} bytes long; an abstract socket name may be at most ${max} bytes on ${process.platform}`
        : `${fn}: path is ${bytes} bytes long (UTF-8); a Unix socket path may be at most ${max} bytes on ` +
            `${process.platform} (sun_path holds ${size}, with the terminating NUL)`,
    )
  }
  return path
}
