/*
 * The open-loop load generator the HTTP benchmarks share: request i is due at start + i/rate whether or not earlier
 * ones have answered, and its latency runs from that due time, so a stalled server shows in the figures instead of
 * slowing the sender.
 */
import { type Agent, type IncomingMessage, request as httpRequest } from 'node:http';
import { now, quantile } from './bench-support';

/**
 * Issues `total` requests at an even `rate`, each through `send(due, settled)`, which must call `settled` once
 * that request is over; resolves when every request is sent and over, with when the last one was (`finished`,
 * `started` if none was).
 */
export async function openLoop(
  rate: number,
  total: number,
  send: (due: number, settled: () => void) => void,
): Promise<{ readonly started: number; readonly finished: number; readonly sent: number }> {
  let sent = 0;
  let inFlight = 0;
  const started = now();
  let finished = started;
  await new Promise<void>((done) => {
    let issuing = true;
    const settled = (): void => {
      inFlight--;
      finished = now();
      if (!issuing && inFlight === 0) done();
    };
    const fire = (due: number): void => {
      inFlight++;
      sent++;
      send(due, settled);
    };
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((now() - started) / 1000) * rate));
      while (sent < due) fire(started + (sent * 1000) / rate);
      if (sent >= total) {
        clearInterval(timer);
        issuing = false;
        if (inFlight === 0) done();
      }
    }, 1);
  });
  return { started, finished, sent };
}

export interface PostOnce {
  readonly agent: Agent;
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  /** Called as the answer starts: it reads the body or drains it. */
  readonly answer: (res: IncomingMessage) => void;
  /** The answer is over (whole or cut off); called at most once, and never together with `failed`. */
  readonly closed: (res: IncomingMessage) => void;
  readonly failed: () => void;
  readonly timedOut?: () => void;
}

/** One POST, which ends exactly once: either closed with its answer or failed. */
export function postOnce(post: PostOnce): void {
  let over = false;
  const req = httpRequest(
    {
      host: post.host,
      port: post.port,
      path: post.path,
      method: 'POST',
      agent: post.agent,
      headers: { ...post.headers, 'content-length': Buffer.byteLength(post.body) },
      timeout: post.timeoutMs,
    },
    (res) => {
      post.answer(res);
      res.once('close', () => {
        if (over) return;
        over = true;
        post.closed(res);
      });
    },
  );
  req.once('timeout', () => {
    post.timedOut?.();
    req.destroy(new Error('timeout'));
  });
  req.once('error', () => {
    if (over) return;
    over = true;
    post.failed();
  });
  req.end(post.body);
}

/** p50, p99 and max of latencies in ms, rounded to 2 decimals; sorts `latencies` in place. */
export function latencySummary(latencies: number[]): { p50: number; p99: number; max: number } {
  latencies.sort((a, b) => a - b);
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return {
    p50: round(quantile(latencies, 0.5)),
    p99: round(quantile(latencies, 0.99)),
    max: round(latencies.at(-1) ?? Number.NaN),
  };
}
