import { getMetadataStorage, IsInt, Matches, validateSync } from 'class-validator';
import { rememberValidationRules } from './validation';

class Coded {
  @Matches(/^[A-Z]+$/, { message: 'code must be capitals' })
  code!: string;
}

class Subclassed extends Coded {
  @Matches(/^x/, { message: 'extra must start with x' })
  extra!: string;
}

const messages = (object: object) =>
  validateSync(object, { whitelist: true, forbidNonWhitelisted: true }).flatMap((e) =>
    Object.values(e.constraints ?? {}),
  );

const make = <T extends object>(type: new () => T, values: Record<string, unknown>): T =>
  Object.assign(new type(), values);

describe('rememberValidationRules', () => {
  beforeAll(() => {
    rememberValidationRules();
    // Twice, as an e2e run building several apps does: still one layer of memory.
    rememberValidationRules();
  });

  it('looks a class’s rules up once and hands the same list back', () => {
    const storage = getMetadataStorage();
    const first = storage.getTargetValidationMetadatas(Coded, '', false, false);
    expect(storage.getTargetValidationMetadatas(Coded, '', false, false)).toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
  });

  it('validates as before, inherited rules included', () => {
    expect(messages(make(Coded, { code: 'ok' }))).toEqual(['code must be capitals']);
    expect(messages(make(Subclassed, { code: 'OK', extra: 'y' }))).toEqual(['extra must start with x']);
    expect(messages(make(Subclassed, { code: 'no', extra: 'xy' }))).toEqual(['code must be capitals']);
    expect(messages(make(Subclassed, { code: 'OK', extra: 'x', other: 1 }))).toEqual([
      'property other should not exist',
    ]);
  });

  it('forgets what it kept when a rule is added later', () => {
    // A field with no rule yet: refused by the whitelist until one is declared on it.
    expect(messages(make(Subclassed, { code: 'OK', extra: 'x', n: 'one' }))).toEqual([
      'property n should not exist',
    ]);
    IsInt({ message: 'n must be an integer' })(Coded.prototype, 'n');
    expect(messages(make(Subclassed, { code: 'OK', extra: 'x', n: 'one' }))).toEqual([
      'n must be an integer',
    ]);
  });
});
