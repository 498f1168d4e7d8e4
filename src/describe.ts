/**
 * How error messages name a value that was not what was expected: one rule for the whole package,
 * so that `connect()`'s options, a sink's chunks and a codec's messages say the same thing.
 *
 * @module
 */

/**
 * The name of a value's type: `undefined`, `null`, `typeof` for other primitives (`string`,
 * `number`), else its constructor's name (`Uint16Array`, `ArrayBuffer`), or `Object` for a plain
 * object or one without a named constructor.
 */
export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  const proto: unknown = Object.getPrototypeOf(value)
  const name =
    typeof proto === 'object' &&
    proto !== null &&
    Object.hasOwn(proto, 'constructor') &&
    'constructor' in proto &&
    typeof proto.constructor === 'function'
      ? proto.constructor.name
      : ''
  return name === '' ? 'Object' : name
}

/** A value as `got …` names it: a number or boolean by its value (`-1`, `NaN`), anything else by {@link typeName}. */
export function describeValue(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeName(value)
}

/**
 * A value's type with its article, for `cannot encode …`: `undefined`, `null`, `a string`, `an
 * object`, `a Uint16Array`, `an ArrayBuffer`.
 */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  const name = typeName(value)
  if (name === 'Object') return 'an object'
  // "a Uint16Array" (a "you" sound), "an ArrayBuffer", "an Int8Array", "an object".
  return `${/^[AEIOo]/.test(name) ? 'an' : 'a'} ${name}`
}
