export interface WriteResponse {
  readonly revision: number;
  readonly eventIds: readonly string[];
  readonly events: readonly { readonly id: string; readonly type: string; readonly revision: number }[];
  readonly [id: string]: unknown;
}

/**
 * The one method write routes need from a reply. Express's Response and Fastify's FastifyReply both have it, so a
 * controller can take `@Res({ passthrough: true }) reply: HeaderReply` whichever adapter runs underneath.
 */
export interface HeaderReply {
  header(name: string, value: string): unknown;
}

/** The new revision as ETag (the next If-Match), and a marker when an Idempotency-Key replayed. */
export function writeHeaders(reply: HeaderReply, result: { revision: bigint; replayed: boolean }): void {
  reply.header('ETag', `"${result.revision}"`);
  if (result.replayed) reply.header('Idempotent-Replayed', 'true');
}
