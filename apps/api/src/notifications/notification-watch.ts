import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { ProjectionsService } from '../projections/projections.service';

/** Where the dispatcher waits between attempts; specs give one they fire themselves, and a fixed random. */
export interface DispatchTimer {
  schedule(run: () => void, delayMs: number): { cancel(): void };
  /** In [0, 1): the jitter of each backoff. */
  random(): number;
}

export const DISPATCH_TIMER = Symbol('DISPATCH_TIMER');

export const realDispatchTimer: DispatchTimer = {
  schedule(run, delayMs) {
    const timer = setTimeout(run, delayMs);
    // Waiting deliveries never keep a process alive that is otherwise done.
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  random: Math.random,
};

/** How often an API reading projections run by apps/projector looks for new notifications. */
const EXTERNAL_POLL_MS = 1000;

/**
 * Tells the event stream and the dispatcher that the notifications read model moved: it waits on the projection's
 * own progress (ProjectionRunner.waitFor), so nothing polls while the API runs the projections, and a listener then
 * reads what is new from the read model, which stays the one copy of what was notified.
 */
@Injectable()
export class NotificationWatch implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly listeners = new Set<() => void>();
  private stopped = false;
  private pending: { cancel(): void } | null = null;

  constructor(
    private readonly projections: ProjectionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DISPATCH_TIMER) private readonly timer: DispatchTimer,
  ) {}

  onApplicationBootstrap(): void {
    void this.watch();
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    this.pending?.cancel();
    this.listeners.clear();
  }

  /** Calls `listener` each time the read model moved; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async watch(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.config.projections === 'in-process') {
          const runner = this.projections.runner('notifications');
          await runner.waitFor(BigInt(runner.status().position) + 1n);
        } else {
          await this.pause(EXTERNAL_POLL_MS);
        }
      } catch {
        // Failed or stopped: a failed projection is waited out (its status and /health/ready say why).
        if (this.stopped) return;
        await this.pause(EXTERNAL_POLL_MS);
      }
      if (this.stopped) return;
      for (const listener of [...this.listeners]) {
        try {
          listener();
        } catch {
          // A listener reports its own failures; the others still hear of the change.
        }
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.pending = this.timer.schedule(resolve, ms);
    });
  }
}
