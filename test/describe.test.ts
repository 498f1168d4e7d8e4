import { describe, expect, it } from 'vitest'
import { describeType, describeValue, typeName } from '../src/describe.js'

describe('describeType()', () => {
  it('describeType() names primitives by typeof and objects by their constructor, with an article', () => {
    expect(describeType(undefined)).toBe('undefined')
    expect(describeType(null)).toBe('null')
    expect(describeType('x')).toBe('a string')
    expect(describeType(1n)).toBe('a bigint')
    expect(describeType(() => 1)).toBe('a function')
    expect(describeType(new Uint16Array(1))).toBe('a Uint16Array')
    expect(describeType(new Int8Array(1))).toBe('an Int8Array')
    expect(describeType(new Map())).toBe('a Map')
    expect(describeType({})).toBe('an object')
    expect(describeType(Object.create(null))).toBe('an object')
    expect(describeType({ constructor: 'not a function' })).toBe('an object')
    expect(describeType(new (class Message {})())).toBe('a Message')
  })
})

describe('describeValue()', () => {
  it('describeValue() names numbers and booleans by their value and anything else by its type', () => {
    expect(describeValue(-1)).toBe('-1')
    expect(describeValue(Number.NaN)).toBe('NaN')
    expect(describeValue(true)).toBe('true')
    expect(describeValue('10')).toBe('string')
    expect(describeValue(undefined)).toBe('undefined')
    expect(describeValue(null)).toBe('null')
    expect(describeValue({})).toBe('Object')
    expect(describeValue(Object.create(null))).toBe('Object')
    expect(describeValue(new Uint16Array(1))).toBe('Uint16Array')
    expect(typeName(new (class {})())).toBe('Object')
  })
})
