import type { Clock } from '../../apps/api/src/store/tokens';

/**
 * A clock a spec sets and moves: pass it as `startTestApp(config, store, { clock })` (or to a unit under test) and
 * every write, read and process of that app reads this time instead of the wall clock. It only moves when told,
 * so a spec never sleeps to reach a deadline.
 */
export interface FakeClock extends Clock {
  /** Jumps to `at` (ISO string with an offset, or a Date). Moving backwards is allowed: specs of late records need it. */
  set(at: string | Date): void;
  /** Moves forward by a duration (milliseconds, or days/hours/minutes/seconds summed). */
  advance(by: number | Duration): void;
  /** The current time as ISO (UTC). */
  iso(): string;
}

export interface Duration {
  readonly days?: number;
  readonly hours?: number;
  readonly minutes?: number;
  readonly seconds?: number;
}

export function fakeClock(start: string | Date): FakeClock {
  let ms = toMs(start);
  const clock = (() => new Date(ms)) as FakeClock;
  clock.set = (at) => {
    ms = toMs(at);
  };
  clock.advance = (by) => {
    const step = typeof by === 'number' ? by : durationMs(by);
    if (!Number.isFinite(step)) throw new Error(`fake clock: cannot advance by ${String(step)}`);
    ms += step;
  };
  clock.iso = () => new Date(ms).toISOString();
  return clock;
}

export function durationMs({ days = 0, hours = 0, minutes = 0, seconds = 0 }: Duration): number {
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
}

function toMs(at: string | Date): number {
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(ms)) throw new Error(`fake clock: not a time: ${String(at)}`);
  return ms;
}
