import type { Worker } from 'node:worker_threads';
import { startWorker } from '@carepath/projections';
import type { TaskFailure, TaskReply, TaskRequest } from './heavy-work.worker';
import type { HeavyTask } from './heavy-work.tasks';
import { WorkUnavailableException } from './work-unavailable.exception';

/** Retry-After when the queue is full: a slot frees as soon as one heavy read ends. */
const BUSY_RETRY_AFTER_SECONDS = 2;
/** Retry-After past a budget: the same read is likely to need as long again, so not at once. */
const TIMEOUT_RETRY_AFTER_SECONDS = 10;

interface Job {
  readonly id: number;
  readonly what: string;
  readonly budgetMs: number;
  /** A task for a thread, or work done on the request loop (holding a slot all the same). */
  readonly work: { readonly task: HeavyTask } | { readonly inline: () => Promise<unknown> };
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
  timer: NodeJS.Timeout | null;
  slot: Slot | null;
}

interface Slot {
  worker: Worker | null;
  job: Job | null;
  /** Stops the slot's thread once it has had no job for `idleMs`. */
  retire: NodeJS.Timeout | null;
}

export interface WorkerPoolOptions {
  /** Jobs running at once (threads, when jobs go to threads). */
  readonly size: number;
  /** Jobs that may wait for a slot; one more is refused with 503 BUSY. */
  readonly queueLimit: number;
  /** The worker module (without extension) and its data; null: jobs only run inline. */
  readonly worker: { readonly module: string; readonly data: unknown } | null;
  /** Rebuilds a worker's failure as the error its caller expects. */
  readonly toError: (failure: TaskFailure) => unknown;
  /**
   * How long a thread may wait for a job before it is stopped; the next job starts a fresh one. Each idle thread held
   * its own V8 heap and modules, about 24 MB of the API's resident memory (docs/benchmarks.md, "HTTP commands"),
   * while most APIs go minutes between heavy reads.
   */
  readonly idleMs: number;
}

/**
 * A small bounded pool for heavy reads (issue 15). Each job has a time budget that runs from its submission: a job
 * still queued when it ends is dropped, and a running one has its thread terminated (a fresh one takes the slot on
 * the next job); either way the caller gets 503 WORK_TIMEOUT. A full queue answers 503 BUSY at once. Inline jobs
 * (EventStoreDB, whose reads are already asynchronous I/O) hold a slot too and get the same budget, but cannot be
 * stopped: their slot is freed only when they end.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly done = { thread: 0, inline: 0, timedOut: 0, refused: 0 };

  constructor(private readonly options: WorkerPoolOptions) {
    this.slots = Array.from({ length: Math.max(1, options.size) }, () => ({
      worker: null,
      job: null,
      retire: null,
    }));
  }

  /** Runs `task` in a thread of the pool within `budgetMs`. */
  run<T>(task: HeavyTask, budgetMs: number, what: string): Promise<T> {
    return this.submit({ task }, budgetMs, what) as Promise<T>;
  }

  /** Runs `work` on this thread, counted against the pool's size and queue, within `budgetMs`. */
  runInline<T>(work: () => Promise<T>, budgetMs: number, what: string): Promise<T> {
    return this.submit({ inline: work }, budgetMs, what) as Promise<T>;
  }

  /** Threads running (with a job or waiting for one), jobs running and waiting now, and how jobs have ended. */
  stats(): {
    threads: number;
    running: number;
    queued: number;
    answered: { thread: number; inline: number };
    timedOut: number;
    refused: number;
  } {
    return {
      threads: this.slots.filter((s) => s.worker).length,
      running: this.slots.filter((s) => s.job).length,
      queued: this.queue.length,
      answered: { thread: this.done.thread, inline: this.done.inline },
      timedOut: this.done.timedOut,
      refused: this.done.refused,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      this.settle(job, new WorkUnavailableException('BUSY', 'The API is stopping', 1));
    await Promise.all(
      this.slots.map(async (slot) => {
        const { worker, job } = slot;
        this.keep(slot);
        slot.worker = null;
        if (job) this.settle(job, new WorkUnavailableException('BUSY', 'The API is stopping', 1));
        await worker?.terminate();
      }),
    );
  }

  private submit(work: Job['work'], budgetMs: number, what: string): Promise<unknown> {
    if (this.closed) return Promise.reject(new WorkUnavailableException('BUSY', 'The API is stopping', 1));
    const idle = this.slots.find((s) => !s.job);
    if (!idle && this.queue.length >= this.options.queueLimit) {
      this.done.refused++;
      return Promise.reject(
        new WorkUnavailableException(
          'BUSY',
          `Too many heavy reads in progress (${this.slots.length} running, ${this.queue.length} waiting): ${what} was not started`,
          BUSY_RETRY_AFTER_SECONDS,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, what, budgetMs, work, resolve, reject, timer: null, slot: null };
      job.timer = setTimeout(() => this.expire(job), budgetMs);
      if (idle) this.start(idle, job);
      else this.queue.push(job);
    });
  }

  private start(slot: Slot, job: Job): void {
    this.keep(slot);
    slot.job = job;
    job.slot = slot;
    if ('inline' in job.work) {
      job.work.inline().then(
        (result) => this.finish(slot, job, result, null),
        (error: unknown) => this.finish(slot, job, undefined, error ?? new Error('failed')),
      );
      return;
    }
    try {
      const worker = slot.worker ?? this.spawn(slot);
      worker.postMessage({ id: job.id, task: job.work.task } satisfies TaskRequest);
    } catch (error) {
      this.finish(slot, job, undefined, error);
    }
  }

  private spawn(slot: Slot): Worker {
    const { worker: config } = this.options;
    if (!config) throw new Error('This pool runs inline jobs only');
    const worker = startWorker(config.module, { workerData: config.data });
    slot.worker = worker;
    worker.on('message', (reply: TaskReply) => {
      const job = slot.job;
      if (slot.worker !== worker || !job || job.id !== reply.id) return;
      if (reply.ok) this.finish(slot, job, reply.result, null);
      else this.finish(slot, job, undefined, this.options.toError(reply.error));
    });
    const died = (reason: string) => {
      if (slot.worker !== worker) return;
      slot.worker = null;
      const job = slot.job;
      if (job)
        this.finish(
          slot,
          job,
          undefined,
          new WorkUnavailableException('WORK_FAILED', `${job.what}: ${reason}`, 1),
        );
    };
    worker.on('error', (error) => died(`its thread failed (${error.message})`));
    worker.on('exit', (code) => died(`its thread stopped (exit code ${code})`));
    return worker;
  }

  private finish(slot: Slot, job: Job, result: unknown, error: unknown): void {
    if (slot.job !== job) return; // expired meanwhile: the caller has had its answer
    slot.job = null;
    if (job.timer) this.done['inline' in job.work ? 'inline' : 'thread']++;
    this.settle(job, error, result);
    this.next(slot);
  }

  private expire(job: Job): void {
    job.timer = null;
    this.done.timedOut++;
    const timeout = new WorkUnavailableException(
      'WORK_TIMEOUT',
      `${job.what} did not finish within its budget of ${job.budgetMs} ms`,
      TIMEOUT_RETRY_AFTER_SECONDS,
    );
    const slot = job.slot;
    if (!slot) {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.settle(job, timeout);
      return;
    }
    this.settle(job, timeout);
    // Work on this thread cannot be stopped: its slot stays taken until it ends (finish frees it then).
    if ('inline' in job.work) return;
    const worker = slot.worker;
    slot.worker = null;
    slot.job = null;
    void worker?.terminate();
    this.next(slot);
  }

  private settle(job: Job, error: unknown, result?: unknown): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    if (error) job.reject(error);
    else job.resolve(result);
  }

  private next(slot: Slot): void {
    if (this.closed) return;
    const job = this.queue.shift();
    if (job) this.start(slot, job);
    else if (slot.worker) {
      const worker = slot.worker;
      slot.retire = setTimeout(() => {
        slot.retire = null;
        if (slot.worker !== worker || slot.job) return;
        // Cleared first: its exit is then no failure of a job (spawn's `died`).
        slot.worker = null;
        void worker.terminate();
      }, this.options.idleMs);
      slot.retire.unref();
    }
  }

  /** Cancels the slot's retirement: it has a job, or the pool is closing. */
  private keep(slot: Slot): void {
    if (slot.retire) clearTimeout(slot.retire);
    slot.retire = null;
  }
}
