import { join } from 'node:path';
import { waitFor } from '../../../../test/support/wait-for';
import type { HeavyWorkerData } from './heavy-work.worker';
import { WorkerPool } from './worker-pool';
import { WorkUnavailableException } from './work-unavailable.exception';

/** Work whose end the spec decides. */
function controlled<T>() {
  let finish!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (finish = resolve));
  return { work: () => promise, finish };
}

const code = (error: unknown) => (error as WorkUnavailableException).code;

describe('WorkerPool (issue 15): bounded, budgeted heavy work', () => {
  const pool = (size: number, queueLimit: number) =>
    new WorkerPool({ size, queueLimit, worker: null, toError: (f) => new Error(f.message), idleMs: 60_000 });

  it('starts a thread with the first job and stops it once idle; the next job starts another', async () => {
    const p = new WorkerPool({
      size: 2,
      queueLimit: 4,
      // With no embedded log, the chain walk fails at once in the thread: a quick answer from a real one.
      worker: {
        module: join(__dirname, 'heavy-work.worker'),
        data: { logFile: null } satisfies HeavyWorkerData,
      },
      toError: (f) => new Error(f.message),
      idleMs: 50,
    });
    try {
      expect(p.stats().threads).toBe(0);
      const walk = () =>
        p.run({ kind: 'verify' }, 60_000, 'walk').catch((e: unknown) => (e as Error).message);
      expect(await walk()).toMatch(/not an embedded file/);
      expect(p.stats()).toMatchObject({ threads: 1, answered: { thread: 1 } });
      await waitFor(
        () => p.stats().threads,
        (n) => n === 0,
        { timeoutMs: 10_000, what: 'the idle thread to stop' },
      );
      expect(await walk()).toMatch(/not an embedded file/);
      expect(p.stats()).toMatchObject({ threads: 1, answered: { thread: 2 }, timedOut: 0 });
    } finally {
      await p.close();
    }
    expect(p.stats().threads).toBe(0);
  });

  it('answers BUSY at once when every slot is taken and the queue is full', async () => {
    const p = pool(1, 1);
    const running = controlled<string>();
    const queued = controlled<string>();
    const first = p.runInline(running.work, 60_000, 'first');
    const second = p.runInline(queued.work, 60_000, 'second');
    const refused = await p
      .runInline(() => Promise.resolve('third'), 60_000, 'third')
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkUnavailableException);
    expect(code(refused)).toBe('BUSY');
    expect((refused as WorkUnavailableException).retryAfterSeconds).toBeGreaterThan(0);
    expect((refused as WorkUnavailableException).getStatus()).toBe(503);
    running.finish('one');
    queued.finish('two');
    expect(await first).toBe('one');
    expect(await second).toBe('two');
    expect(p.stats()).toMatchObject({ running: 0, queued: 0, answered: { inline: 2 }, refused: 1 });
    await p.close();
  });

  it('answers WORK_TIMEOUT past the budget; inline work keeps its slot until it really ends', async () => {
    const p = pool(1, 4);
    const stuck = controlled<string>();
    const late = await p.runInline(stuck.work, 1, 'a stuck read').catch((e: unknown) => e);
    expect(code(late)).toBe('WORK_TIMEOUT');
    expect((late as WorkUnavailableException).retryAfterSeconds).toBeGreaterThan(0);
    // The slot is still taken by work this thread cannot stop: the next job waits for it.
    const next = p.runInline(() => Promise.resolve('next'), 60_000, 'next');
    expect(p.stats()).toMatchObject({ running: 1, queued: 1, timedOut: 1 });
    stuck.finish('too late');
    expect(await next).toBe('next');
    expect(p.stats()).toMatchObject({ running: 0, queued: 0, answered: { inline: 1 } });
    await p.close();
  });

  it('drops a job whose budget runs out while it waits in the queue', async () => {
    const p = pool(1, 4);
    const running = controlled<string>();
    const first = p.runInline(running.work, 60_000, 'first');
    let started = false;
    const waiting = await p
      .runInline(
        () => {
          started = true;
          return Promise.resolve('never');
        },
        1,
        'queued',
      )
      .catch((e: unknown) => e);
    expect(code(waiting)).toBe('WORK_TIMEOUT');
    expect(p.stats().queued).toBe(0);
    running.finish('one');
    expect(await first).toBe('one');
    expect(started).toBe(false);
    await p.close();
  });

  it('passes a failure of the work to its caller and frees the slot', async () => {
    const p = pool(1, 0);
    const failed = await p
      .runInline(() => Promise.reject(new Error('the read failed')), 60_000, 'failing')
      .catch((e: unknown) => e);
    expect((failed as Error).message).toBe('the read failed');
    expect(await p.runInline(() => Promise.resolve('ok'), 60_000, 'after')).toBe('ok');
    await p.close();
  });
});
