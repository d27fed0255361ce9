import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, type StoredEvent } from '@carepath/event-store';
import { ALL_PROJECTIONS, dumpReadModel, ReadModelFiles, rebuildTogether } from '@carepath/projections';
import { type ApiProcess, freePort, startApiProcess, transpileApi } from '../support/api-process';
import { bodies } from '../support/fixtures';
import { as, installTestIssuer } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Crash recovery of the whole API (issue 15, "The checks stay in CI"): the real API in its own process, on a
 * temporary file, takes real journey writes from concurrent writers and is killed with SIGKILL while they are in
 * flight, then restarted, for CYCLES cycles; after each restart the writes left unanswered are sent again with the
 * same Idempotency-Key. Afterwards: every acknowledged event is in the log; every request's events are there exactly
 * once, all of them, as answered (the key rides in the events' metadata), whether it had landed before the kill or
 * only on its retry; each journey's revisions run from 0 without a hole; global positions have no gap; the hash
 * chain verifies (through the API after every restart, and through the store at the end); and the read models the
 * API kept through the crashes equal a rebuild from the log.
 */
const CYCLES = 10;
const WRITERS = 24;
const CHC = 'CHC-CRASH-01';
const HOSP = 'HOSP-CRASH-01';
const REGION = '110105';
const AT = '2026-03-02T09:00:00+08:00';

type Body = Record<string, any>;

/** A bearer token of this process's development issuer, which the API process trusts (installTestIssuer). */
const actor = (institutionId: string, role = 'doctor') => ({
  'content-type': 'application/json',
  ...as(institutionId, role),
});

/** One write sent: its key finds its events in the log whether or not an answer came back. */
interface Sent {
  readonly key: string;
  readonly path: string;
  readonly institution: string;
  readonly body: Body;
  readonly expectedEvents: number;
  /** The event ids of a 2xx answer; null while no answer came (killed in flight). */
  eventIds: string[] | null;
  /** Killed in flight, then sent again with the same key after the restart: the log head at that restart. */
  retriedAt: bigint | null;
}

describe('crash recovery: SIGKILL during concurrent journey writes, restart, repeat', () => {
  let folder: string;
  let port: number;
  let build: string;
  let api: ApiProcess | null = null;
  const sent: Sent[] = [];
  /** Answers other than 201 to a write: none is expected (each writer has journeys of its own). */
  const unexpected: string[] = [];

  const env = () => ({
    DATABASE_FILE: join(folder, 'carepath.db'),
    READ_MODEL_DIR: join(folder, 'read-models'),
    // Only one worker thread for heavy reads: the spec restarts the API often on a small machine.
    WORK_POOL_SIZE: '1',
    // 24 writers act as the same two doctors: no rate limit is what is tested here.
    RATE_LIMIT_REQUESTS: '1000000',
  });

  async function call(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; body: Body }> {
    const res = await fetch(`${api!.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // A hang detector: a write the API never answers must fail the spec, not stall it.
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: (await res.json()) as Body };
  }

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-crash-'));
    // The API process trusts the development issuer whose key it finds beside its database file: ours.
    installTestIssuer(join(folder, 'carepath.db'));
    port = await freePort();
    build = transpileApi(join(folder, 'build'));
  });

  afterAll(async () => {
    if (api && api.child.exitCode === null && api.child.signalCode === null) {
      api.child.kill('SIGKILL');
      await api.exited;
    }
    rmSync(folder, { recursive: true, force: true });
  });

  it(`keeps every acknowledged write, tears none, retries exactly once, and projects what a rebuild does, over ${CYCLES} kills`, async () => {
    api = await startApiProcess(build, port, env());
    const admin = actor('HC-CRASH', 'admin');
    const institutions = [
      { institutionId: CHC, name: 'Crash Community Health Centre', tier: 'community' },
      { institutionId: HOSP, name: 'Crash Tertiary Hospital', tier: 'tertiary' },
    ];
    for (const i of institutions) {
      const res = await call('POST', '/institutions', admin, {
        ...i,
        allianceId: 'CRASH-G1',
        regionCode: REGION,
        occurredAt: '2026-01-01T00:00:00+08:00',
      });
      expect(res.status).toBe(201);
    }
    const ward = await call('POST', `/institutions/${HOSP}/wards`, actor(HOSP, 'admin'), {
      wardId: 'cardio',
      specialty: 'cardiology',
      openBeds: 8,
      occurredAt: '2026-01-01T00:00:00+08:00',
    });
    expect(ward.status).toBe(201);

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      let acknowledged = 0;
      let stopping = false;
      let sequence = 0;
      /** One write with its own key; false once the API no longer answers (killed). */
      const write = async (
        path: string,
        institution: string,
        body: Body,
        expectedEvents: number,
      ): Promise<Body | null | false> => {
        const record: Sent = {
          key: `crash-${cycle}-${sequence++}`,
          path,
          institution,
          body,
          expectedEvents,
          eventIds: null,
          retriedAt: null,
        };
        sent.push(record);
        try {
          const res = await call(
            'POST',
            path,
            { ...actor(institution), 'idempotency-key': record.key },
            body,
          );
          if (res.status !== 201) {
            unexpected.push(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
            return null;
          }
          record.eventIds = res.body.eventIds as string[];
          acknowledged++;
          return res.body;
        } catch {
          return false;
        }
      };
      // Each writer walks journeys of its own: open (two events), refer up, accept upstairs, admit, visits,
      // discharge; a write with no answer leaves its journey's state unknown, so the writer starts a new one.
      const writer = async (w: number) => {
        while (!stopping) {
          const opened = await write(
            '/journeys',
            CHC,
            {
              patientId: `pt-crash-${cycle}-${w}-${sequence}`,
              residenceRegion: REGION,
              institutionId: CHC,
              visitType: 'outpatient',
              diagnosisCode: 'I21.4',
              occurredAt: AT,
            },
            2,
          );
          if (!opened) continue;
          const j = `/journeys/${opened.journeyId}`;
          const referred = await write(
            `${j}/referrals`,
            CHC,
            bodies.referUp({
              fromInstitutionId: CHC,
              toInstitutionId: HOSP,
              occurredAt: '2026-03-02T10:00:00+08:00',
            }),
            1,
          );
          if (!referred) continue;
          const r = `${j}/referrals/${referred.referralId}`;
          if (!(await write(`${r}/accept`, HOSP, { occurredAt: '2026-03-02T11:00:00+08:00' }, 1))) continue;
          const admitted = await write(
            `${j}/admissions`,
            HOSP,
            {
              institutionId: HOSP,
              wardId: 'cardio',
              referralId: referred.referralId,
              occurredAt: '2026-03-02T12:00:00+08:00',
            },
            1,
          );
          if (!admitted) continue;
          let going = true;
          for (let v = 0; v < 3 && going; v++) {
            going = !!(await write(
              `${j}/visits`,
              HOSP,
              {
                institutionId: HOSP,
                visitType: 'outpatient',
                diagnosisCode: 'I21.4',
                occurredAt: `2026-03-0${3 + v}T09:00:00+08:00`,
              },
              1,
            ));
          }
          if (!going) continue;
          await write(
            `${j}/admissions/${admitted.admissionId}/discharge`,
            HOSP,
            { disposition: 'home', occurredAt: '2026-03-07T10:00:00+08:00' },
            1,
          );
        }
      };
      const writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      // Kill at a different depth each cycle, always with writes in flight.
      const killAfter = 25 + ((cycle * 37) % 60);
      await waitFor(
        () => acknowledged,
        (n) => n >= killAfter,
        { timeoutMs: 60_000, what: `${killAfter} acknowledged writes in cycle ${cycle}` },
      );
      api.child.kill('SIGKILL');
      stopping = true;
      expect(await api.exited).toBe('SIGKILL');
      await writers;

      api = await startApiProcess(build, port, env());
      // The chain verifies after every crash, as the restarted API reads the file.
      const verified = await call('GET', '/audit/verify', actor('HC-CRASH', 'auditor'));
      expect({ cycle, ...verified }).toMatchObject({ cycle, status: 200, body: { ok: true } });
      // A write answered before the kill, sent again with its key, answers with its first events and appends nothing:
      // the path a write that landed unanswered takes on its retry, taken here on every cycle whatever the kill's
      // timing (the log check below finds any second copy).
      const answered = sent.find((s) => s.eventIds !== null && s.retriedAt === null);
      if (!answered) throw new Error(`no write was answered before the kill in cycle ${cycle}`);
      const replay = await call(
        'POST',
        answered.path,
        { ...actor(answered.institution), 'idempotency-key': answered.key },
        answered.body,
      );
      expect({ cycle, status: replay.status, eventIds: replay.body.eventIds as unknown }).toEqual({
        cycle,
        status: 201,
        eventIds: answered.eventIds,
      });
      // Every write the kill left unanswered is sent again with its key, all at once: one that had landed answers
      // with its first events and appends nothing, one that had not lands now (checked against the log below).
      const head = BigInt(verified.body.headPosition as string);
      await Promise.all(
        sent
          .filter((s) => s.eventIds === null)
          .map(async (s) => {
            s.retriedAt = head;
            const res = await call(
              'POST',
              s.path,
              { ...actor(s.institution), 'idempotency-key': s.key },
              s.body,
            );
            if (res.status === 201) s.eventIds = res.body.eventIds as string[];
            else unexpected.push(`retry ${s.path}: ${res.status} ${JSON.stringify(res.body)}`);
          }),
      );
    }

    expect(unexpected).toEqual([]);
    // One more write that answers only once every read model has it: the projections have caught up.
    const last = await call(
      'POST',
      '/journeys?consistency=projected',
      { ...actor(CHC), 'idempotency-key': 'crash-final' },
      {
        patientId: 'pt-crash-final',
        residenceRegion: REGION,
        institutionId: CHC,
        visitType: 'outpatient',
        diagnosisCode: 'I21.4',
        occurredAt: AT,
      },
    );
    expect(last.status).toBe(201);
    sent.push({
      key: 'crash-final',
      path: '/journeys',
      institution: CHC,
      body: {},
      expectedEvents: 2,
      eventIds: last.body.eventIds as string[],
      retriedAt: null,
    });
    const projections = (await call('GET', '/projections', admin)).body.projections as Body[];
    expect(projections.map((p) => [p.name, p.state, p.lag])).toEqual(
      ALL_PROJECTIONS.map((d) => [d.name, 'live', '0']),
    );
    api.child.kill('SIGTERM');
    expect(await api.exited).toMatch(/SIGTERM|exit code 0/);

    const store = SqliteEventStore.open({ filename: join(folder, 'carepath.db') });
    try {
      const events: StoredEvent[] = [];
      for (let after = 0n; ;) {
        const page = await store.readAll({ after, maxCount: 5_000 });
        events.push(...page.events);
        after = page.lastPosition;
        if (page.isEnd) break;
      }
      // No gap in global positions.
      expect(events.map((e) => Number(e.position))).toEqual(events.map((_, i) => i + 1));
      // Each stream's revisions run 0, 1, 2, ... with no hole.
      const streams = new Map<string, bigint[]>();
      for (const e of events) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e.revision]);
      const holed = [...streams].filter(([, revisions]) => revisions.some((r, i) => r !== BigInt(i)));
      expect(holed).toEqual([]);
      // Every write's events are all there or none; every acknowledged one is there with the ids it was given.
      const byKey = new Map<string, string[]>();
      for (const e of events) {
        const key = e.metadata.idempotencyKey;
        if (typeof key === 'string') byKey.set(key, [...(byKey.get(key) ?? []), e.id]);
      }
      // Every write was answered in the end (first time or on its retry), with all its events, once, as answered.
      const lost = sent.filter(
        (s) =>
          s.eventIds === null ||
          s.eventIds.length !== s.expectedEvents ||
          JSON.stringify(byKey.get(s.key)) !== JSON.stringify(s.eventIds),
      );
      expect(lost).toEqual([]);
      expect(sent.length).toBeGreaterThan(CYCLES * 25);
      // Writes were in flight at every kill; those that had landed unanswered sit below the head found at the restart.
      const retried = sent.filter((s) => s.retriedAt !== null);
      expect(retried.length).toBeGreaterThanOrEqual(CYCLES);
      const position = new Map(events.map((e) => [e.id, e.position]));
      const landedUnanswered = retried.filter((s) => position.get(s.eventIds![0]!)! <= s.retriedAt!).length;
      // Most unanswered writes had not landed and land on their retry (15 of 240 had landed in a measured run; how
      // many depends on where the kill falls, so none is also possible, and the replay above covers that path).
      expect(landedUnanswered).toBeLessThan(retried.length);
      expect(await store.verifyChain()).toMatchObject({ ok: true, checked: events.length });

      // The read models the API kept through every crash equal a rebuild from the log.
      const live = new ReadModelFiles(join(folder, 'read-models'));
      const rebuilt = new ReadModelFiles(join(folder, 'rebuilt'));
      try {
        await rebuildTogether(store, rebuilt, ALL_PROJECTIONS);
        for (const { name } of ALL_PROJECTIONS) {
          const dump = (files: ReadModelFiles) => {
            const db = new Database(files.fileOf(name, files.current(name)!.generation), { readonly: true });
            try {
              return dumpReadModel(db);
            } finally {
              db.close();
            }
          };
          expect({ name, rows: dump(live) }).toEqual({ name, rows: dump(rebuilt) });
        }
      } finally {
        live.close();
        rebuilt.close();
      }
    } finally {
      await store.close();
    }
  }, 180_000);
});
