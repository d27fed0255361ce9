import { CommandBus } from '@nestjs/cqrs';
import { type JourneyCommand, journeyDecider, journeyStreamId } from '@carepath/domain';
import { WritePath } from '@carepath/write-path';
import { WriteToStream } from '../../apps/api/src/store/write-to-stream.command';
import type { TestApp } from './test-app';

/**
 * A journey command written as the process manager writes it (apps/api/src/processes): through the command bus to
 * the one write path, with the `system` role acting for `institutionId`. Specs give what a process would have
 * written (an escalation, a transfer proposal, a follow-up owed) without running the processes' clock.
 */
export async function writeAsProcess(
  t: TestApp,
  journeyId: string,
  institutionId: string,
  occurredAt: string,
  command: { readonly type: JourneyCommand['type']; readonly data: object },
): Promise<void> {
  const writePath = t.app.get(WritePath);
  const metadata = writePath.metadata(
    {
      actorId: 'process:spec',
      actorRole: 'system',
      institutionId,
      correlationId: 'spec',
      causationId: 'spec',
    },
    occurredAt,
  );
  await t.app.get(CommandBus).execute(
    new WriteToStream(journeyDecider, { ...command, metadata } as JourneyCommand, {
      streamId: journeyStreamId(journeyId),
      idempotency: null,
      expectedRevision: null,
    }),
  );
}
