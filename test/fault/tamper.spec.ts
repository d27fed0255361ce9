import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chainHash,
  checkpointSignatureValid,
  envelopeBytes,
  GENESIS_HASH,
  signCheckpoint,
  SqliteEventStore,
  verifyRows,
} from '@carepath/event-store';
import { generateJourney, institutionStreams } from '../support/journey-generator';

/** Tamper evidence (issue 5): each kind of change made directly to the SQLite file is detected. */
describe('hash chain: tampering with the database file is detected', () => {
  let folder: string;
  let original: string;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-tamper-'));
    original = join(folder, 'events.db');
    const store = SqliteEventStore.open({ filename: original });
    for (const { streamId, events } of institutionStreams())
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
    for (let i = 0; i < 5; i++) {
      const { streamId, events } = generateJourney(i, 3);
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
    }
    await store.close();
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  /** A copy of the log, changed by `tamper` through a raw connection, then verified read-only. */
  const tampered = (name: string, tamper: (db: Database.Database) => void) => {
    const file = join(folder, `${name}.db`);
    copyFileSync(original, file);
    const raw = new Database(file);
    tamper(raw);
    raw.close();
    const readOnly = new Database(file, { readonly: true });
    try {
      return verifyRows(readOnly);
    } finally {
      readOnly.close();
    }
  };

  it('verifies an untouched log, reporting the count and the head hash', () => {
    const result = tampered('clean', () => undefined);
    expect(result).toMatchObject({
      ok: true,
      checked: expect.any(Number),
      headHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(result.ok && result.checked).toBeGreaterThan(40);
  });

  it('detects a changed byte in a payload', () => {
    const result = tampered('payload', (db) =>
      db.prepare("UPDATE events SET data = replace(data, 'I21.4', 'I21.9') WHERE position = 6").run(),
    );
    expect(result).toMatchObject({ ok: false, position: '6', problem: 'stream-hash-mismatch' });
  });

  it('detects a changed byte in metadata (who did it, when)', () => {
    const result = tampered('metadata', (db) =>
      db
        .prepare(
          'UPDATE events SET metadata = replace(metadata, \'"doctor"\', \'"nurse"\') WHERE position = 12',
        )
        .run(),
    );
    expect(result).toMatchObject({ ok: false, position: '12', problem: 'stream-hash-mismatch' });
  });

  it('detects a deleted row', () => {
    const result = tampered('delete', (db) => db.prepare('DELETE FROM events WHERE position = 20').run());
    expect(result).toMatchObject({ ok: false, position: '21', problem: 'position-gap' });
  });

  it('detects reordered events', () => {
    const result = tampered('reorder', (db) =>
      db.transaction(() => {
        db.prepare('UPDATE events SET position = -1 WHERE position = 30').run();
        db.prepare('UPDATE events SET position = 30 WHERE position = 31').run();
        db.prepare('UPDATE events SET position = 31 WHERE position = -1').run();
      })(),
    );
    expect(result).toMatchObject({ ok: false, position: '30' });
  });

  it('a rewrite that recomputes every hash still fails a checkpoint signed before it', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const head = tampered('before-rewrite', () => undefined);
    if (!head.ok) throw new Error('clean log expected');
    const checkpoint = signCheckpoint(
      {
        position: head.headPosition,
        hash: head.headHash,
        count: head.checked,
        signedAt: '2026-11-24T10:00:00.000Z',
        keyId: 'audit-2026',
      },
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(checkpointSignatureValid(checkpoint, publicPem)).toBe(true);
    expect(checkpointSignatureValid({ ...checkpoint, hash: GENESIS_HASH }, publicPem)).toBe(false);

    const rewritten = tampered('rewrite', (db) => {
      db.prepare("UPDATE events SET data = replace(data, 'I21.4', 'I21.9') WHERE position = 6").run();
      expect(db.prepare('SELECT data FROM events WHERE position = 6').pluck().get()).toContain('I21.9');
      rechain(db);
    });
    // The chain is consistent again: only the signed checkpoint exposes the rewrite.
    expect(rewritten).toMatchObject({ ok: true });
    expect(rewritten.ok && rewritten.headHash).not.toBe(checkpoint.hash);
  });
});

/** What a careful attacker would do after editing a row: recompute every link. */
function rechain(db: Database.Database): void {
  const rows = db.prepare('SELECT * FROM events ORDER BY position').safeIntegers(true).all() as Record<
    string,
    unknown
  >[];
  const streams = new Map<string, string>();
  let previous = GENESIS_HASH;
  for (const r of rows) {
    const canonical = envelopeBytes({
      id: r.event_id as string,
      streamId: r.stream_id as string,
      revision: r.revision as bigint,
      position: r.position as bigint,
      type: r.type as string,
      schemaVersion: Number(r.schema_version),
      data: JSON.parse(r.data as string),
      metadata: JSON.parse(r.metadata as string),
    });
    const streamHash = chainHash(streams.get(r.stream_id as string) ?? GENESIS_HASH, canonical);
    previous = chainHash(previous, canonical);
    streams.set(r.stream_id as string, streamHash);
    db.prepare('UPDATE events SET stream_hash = ?, global_hash = ? WHERE position = ?').run(
      streamHash,
      previous,
      r.position,
    );
  }
}
