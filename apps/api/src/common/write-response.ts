import type { Response } from 'express';

export interface WriteResponse {
  readonly revision: number;
  readonly eventIds: readonly string[];
  readonly events: readonly { readonly id: string; readonly type: string; readonly revision: number }[];
  readonly [id: string]: unknown;
}

/** The new revision as ETag (the next If-Match), and a marker when an Idempotency-Key replayed. */
export function writeHeaders(res: Response, result: { revision: bigint; replayed: boolean }): void {
  res.setHeader('ETag', `"${result.revision}"`);
  if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
}
