import type { Provider } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  familyDoctorContractDecider,
  familyDoctorContractStreamId,
  type JourneyCommand,
  journeyDecider,
  journeyStreamId,
  signedContractOn,
} from '@carepath/domain';
import type { AppConfig } from '@carepath/runtime';
import { hashRequest, WritePath } from '@carepath/write-path';
import { APP_CONFIG } from '../config/app-config.token';
import { ProjectionsService } from '../projections/projections.service';
import { toSnapshot } from '../reference/institution-directory';
import { LiveReferenceModel } from '../reference/live-reference.model';
import { WriteToStream } from '../store/write-to-stream.command';
import { PROCESS_PORTS, type ProcessPorts } from './process-manager';

const PROJECTION = 'care-processes';

/**
 * The manager's ports in the app: its read model through ProjectionsService (in either projections mode), the
 * institutions the live reference model follows, the resident's contract stream, and the command bus to the one
 * write path (docs/architecture.md, "A write, file by file"), as any route writes.
 */
export const processPortsProvider: Provider = {
  provide: PROCESS_PORTS,
  inject: [APP_CONFIG, ProjectionsService, LiveReferenceModel, WritePath, CommandBus],
  useFactory: (
    config: AppConfig,
    projections: ProjectionsService,
    reference: LiveReferenceModel,
    writePath: WritePath,
    commands: CommandBus,
  ): ProcessPorts => {
    const inProcess = config.projections === 'in-process';
    return {
      inProcess,
      reader: () => projections.sql(PROJECTION),
      checkpoint: async () => {
        const status = (await projections.status()).find((s) => s.name === PROJECTION);
        if (!status) throw new Error(`projection ${PROJECTION} is not registered`);
        return {
          position: status.position,
          headPosition: status.headPosition,
          lag: status.lag,
          state: status.state,
        };
      },
      advancedPast: (after) => {
        if (!inProcess) return null;
        const runner = projections.runner(PROJECTION);
        return runner.waitFor(after + 1n).then(() => BigInt(runner.status().position));
      },
      institutions: () => reference.listInstitutions().map(toSnapshot),
      contractOn: async (residentId, date) => {
        const { state } = await writePath.current(
          familyDoctorContractStreamId(residentId),
          familyDoctorContractDecider,
        );
        return signedContractOn(state, date);
      },
      act: async (row, process, plan, key) => {
        const metadata = writePath.metadata(
          {
            actorId: `process:${process}`,
            actorRole: 'system',
            institutionId: row.institutionId,
            correlationId: key,
            causationId: key,
          },
          plan.occurredAt,
        );
        const command = { ...plan.command, metadata } as JourneyCommand;
        const outcome = await commands.execute(
          new WriteToStream(journeyDecider, command, {
            streamId: journeyStreamId(row.journeyId),
            // The hash names the act, not its details: a retry after a restart with other settings is the same act.
            idempotency: { key, requestHash: hashRequest({ process, key }) },
            expectedRevision: null,
            missing: () => new Error(`journey ${row.journeyId} not found`),
          }),
        );
        return { replayed: outcome.replayed, position: outcome.position };
      },
    };
  },
};
