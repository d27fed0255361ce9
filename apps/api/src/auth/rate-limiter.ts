import { Injectable, type OnApplicationShutdown } from '@nestjs/common';

export interface RateDecision {
  readonly allowed: boolean;
  /** Whole seconds until a request would be allowed again (0 when allowed). */
  readonly retryAfterSeconds: number;
}

interface Counter {
  window: number;
  current: number;
  previous: number;
  windowMs: number;
  lastAt: number;
}

/**
 * Per-key request budget as a sliding-window counter: the current window's count plus the previous window's,
 * weighted by how much of it still overlaps. O(1) per request and per key, whatever the limit; @nestjs/throttler's
 * in-memory storage keeps and rescans one timestamp per request, which a service account's budget of 10^5 requests
 * a minute would make the slowest step of every write. One process only: behind several API processes each
 * enforces its own budget.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly counters = new Map<string, Counter>();
  private readonly sweep: NodeJS.Timeout;

  constructor() {
    // Forget callers idle for two windows: the map holds only active ones.
    this.sweep = setInterval(() => this.forgetIdle(Date.now()), 60_000);
    this.sweep.unref();
  }

  /** Counts one request of `key` at `at` (ms) against `limit` per window, or refuses it. */
  take(key: string, limit: number, windowSeconds: number, at = Date.now()): RateDecision {
    const windowMs = windowSeconds * 1000;
    const window = Math.floor(at / windowMs);
    let counter = this.counters.get(key);
    if (!counter || counter.windowMs !== windowMs) {
      counter = { window, current: 0, previous: 0, windowMs, lastAt: at };
      this.counters.set(key, counter);
    }
    counter.lastAt = at;
    if (counter.window !== window) {
      counter.previous = counter.window === window - 1 ? counter.current : 0;
      counter.current = 0;
      counter.window = window;
    }
    const overlap = 1 - (at - window * windowMs) / windowMs;
    const estimate = counter.previous * overlap + counter.current;
    if (estimate < limit) {
      counter.current += 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    // Allowed again once the previous window's weight has fallen enough, at the latest when the next one starts.
    const needed = counter.previous > 0 ? (estimate - limit + 1) / counter.previous : 1;
    const waitMs = Math.min(needed * windowMs, (window + 1) * windowMs - at + 1);
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** A counter last used two windows ago weighs nothing any more. */
  forgetIdle(at: number): void {
    for (const [key, counter] of this.counters) {
      if (at - counter.lastAt >= 2 * counter.windowMs) this.counters.delete(key);
    }
  }

  get size(): number {
    return this.counters.size;
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweep);
  }
}
