import { HttpException } from '@nestjs/common';
import { parseJsonBody } from './json-body';

const LIMITS = { bytes: 64 * 1024, depth: 4, entries: 20 };
const json = { contentType: 'application/json' };
const parse = (text: string) => parseJsonBody(Buffer.from(text), json, LIMITS);

/** The refusal's status and messages, or null when the body was taken. */
function refusal(text: string): { status: number; message: unknown } | null {
  try {
    parse(text);
    return null;
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    return { status: error.getStatus(), message: (error.getResponse() as { message: unknown }).message };
  }
}

describe('parseJsonBody', () => {
  it('given a plain body within the limits, then it is the parsed JSON', () => {
    expect(parse('{"a":[1,{"b":"x"}],"c":null}')).toEqual({ a: [1, { b: 'x' }], c: null });
  });

  it('given a prototype name deep in the body, then 400 names its whole path', () => {
    const text = JSON.stringify({ a: [{}, { b: { ok: 1 } }] }).replace('"ok"', '"constructor"');
    expect(refusal(text)).toEqual({ status: 400, message: ['property a[1].b.constructor should not exist'] });
    expect(refusal('{"__proto__":{}}')).toEqual({
      status: 400,
      message: ['property __proto__ should not exist'],
    });
    expect(refusal('[{"toString":1}]')).toEqual({
      status: 400,
      message: ['property [0].toString should not exist'],
    });
  });

  it('given nesting at the depth limit, then 400; scalars at the last level do not count as deeper', () => {
    expect(refusal('{"a":{"b":{"c":{"d":1}}}}')).toBeNull();
    expect(refusal('{"a":{"b":{"c":{"d":{}}}}}')).toEqual({
      status: 400,
      message: ['body is nested deeper than 4 levels'],
    });
  });

  it('given more keys and items than the limit, counted over the whole body, then 400', () => {
    const many = JSON.stringify({ a: Array.from({ length: 15 }, () => 1), b: { c: 1, d: 2, e: 3, f: 4 } });
    expect(refusal(many)).toEqual({ status: 400, message: ['body has more than 20 keys and items'] });
  });

  it('given a body that is not UTF-8 or not JSON, then 400 saying which', () => {
    try {
      parseJsonBody(Buffer.from([0x7b, 0xff, 0x7d]), json, LIMITS);
      throw new Error('taken');
    } catch (error) {
      expect((error as HttpException).getResponse()).toMatchObject({ message: ['body is not valid UTF-8'] });
    }
    expect(refusal('{"a":')).toEqual({ status: 400, message: ['body is not valid JSON'] });
  });
});
