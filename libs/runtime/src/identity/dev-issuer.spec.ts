import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDevKey } from './dev-issuer';

describe('loadOrCreateDevKey: one key per file, whoever creates it', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-dev-key-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('given no key, when two callers load it, then both get the one key written, private, with nothing left aside', () => {
    const file = join(folder, 'keys', 'dev-issuer.ed25519.pem');
    const first = loadOrCreateDevKey(file);
    const second = loadOrCreateDevKey(file);
    expect(second.keyId).toBe(first.keyId);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(folder, 'keys'))).toEqual(['dev-issuer.ed25519.pem']);
  });
});
