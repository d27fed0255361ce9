import { en, zhCN } from './strings';

describe('the console dictionaries', () => {
  it('given both languages, then they have the same keys', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
  });

  it.each([
    ['zh-CN', zhCN],
    ['en', en],
  ] as const)(
    'given %s, then no string is empty and placeholders match the other language',
    (_lang, dictionary) => {
      const other = dictionary === zhCN ? en : zhCN;
      for (const [key, text] of Object.entries(dictionary)) {
        expect([key, text.trim().length > 0]).toEqual([key, true]);
        const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
        expect([key, holes(text)]).toEqual([key, holes(other[key as keyof typeof other])]);
      }
    },
  );
});
