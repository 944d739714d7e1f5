import { describe, expect, it } from 'vitest'
import {
  escapeControlCharactersInStrings,
  parseWechatBody,
} from '../../types/auths/loginTypes/WechatPublicType/client/parse.ts'

describe('parseWechatBody', () => {
  it('keeps every raw control character inside strings, U+0000 to U+001F', () => {
    const raw = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')
    const body = `{"nickname":"<${raw}>","n":1}`
    expect(parseWechatBody(body)).toEqual({ ok: true, value: { nickname: `<${raw}>`, n: 1 } })
  })

  it('keeps escapes that were already there, including \\" and \\\\ next to raw characters', () => {
    const body = '{"a":"x\\"\u0014\\\\","b":"\\/\\u0041\n"}'
    expect(parseWechatBody(body)).toEqual({ ok: true, value: { a: 'x"\u0014\\', b: '/A\n' } })
  })

  it('reads a pretty-printed body, with a raw control character inside a string too', () => {
    const body = '{\n\t"openid": "o1",\r\n\t"nickname": "A\u0014B"\n}\n'
    expect(parseWechatBody(body)).toEqual({ ok: true, value: { openid: 'o1', nickname: 'A\u0014B' } })
  })

  it('reads emoji, CJK and a BOM', () => {
    expect(parseWechatBody('\ufeff {"nickname":"小猫🐱"}')).toEqual({
      ok: true,
      value: { nickname: '小猫🐱' },
    })
  })

  it.each([
    ['', 'empty'],
    ['\n\t ', 'empty'],
    ['<!DOCTYPE html><html></html>', 'not_json'],
    ['null', 'not_json'],
    ['"text"', 'not_json'],
    ['[{"a":1}]', 'not_json'],
    ['{"a":1', 'not_json'],
    ['{"a":1}garbage', 'not_json'],
    ['{"a":\u00011}', 'not_json'],
  ])('%j is %s', (body, problem) => {
    expect(parseWechatBody(body)).toEqual({ ok: false, problem })
  })

  it('leaves text without control characters untouched (same string back)', () => {
    const text = '{"a":"b"}'
    expect(escapeControlCharactersInStrings(text)).toBe(text)
  })
})
