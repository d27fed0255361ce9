import { devKeyFileFor, loadConfig, loadOrCreateDevKey, signDevToken } from '@carepath/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenVerifier } from './token-verifier';

describe('TokenVerifier: a verified token is trusted again only until its own expiry', () => {
  let folder: string;
  let verifier: TokenVerifier;
  let key: ReturnType<typeof loadOrCreateDevKey>;
  const start = new Date('2026-06-01T08:00:00Z');

  beforeEach(() => {
    jest.useFakeTimers({ now: start, doNotFake: ['nextTick', 'setImmediate'] });
    folder = mkdtempSync(join(tmpdir(), 'carepath-verifier-'));
    const databaseFile = join(folder, 'carepath.db');
    key = loadOrCreateDevKey(devKeyFileFor(databaseFile));
    verifier = new TokenVerifier(loadConfig({ DATABASE_FILE: databaseFile }));
    verifier.onModuleInit();
  });
  afterEach(() => {
    jest.useRealTimers();
    rmSync(folder, { recursive: true, force: true });
  });

  const bearer = (ttlSeconds: number) =>
    `Bearer ${signDevToken(key, { sub: 'dr-1', role: 'doctor', institutionId: 'CHC-1', ttlSeconds })}`;

  it('given a token verified once, when it is sent again before it expires, then the same identity', async () => {
    const token = bearer(600);
    const first = await verifier.verify(token);
    jest.setSystemTime(start.getTime() + 300_000);
    expect(await verifier.verify(token)).toEqual(first);
  });

  it('given a token verified once, when it is sent again after its exp, then 401 TOKEN_EXPIRED', async () => {
    const token = bearer(60);
    await verifier.verify(token);
    // Past exp and the verifier's clock tolerance.
    jest.setSystemTime(start.getTime() + 60_000 + 10 * 60_000);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('given a token whose signature was altered after one good use, then 401 TOKEN_INVALID', async () => {
    const token = bearer(600);
    await verifier.verify(token);
    const forged = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
