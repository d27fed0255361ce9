import type { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../api/src/common/request-context';
import { ExecuteInstitutionCommand } from '../../api/src/institutions/execute-institution-command.handler';
import type { RegisterInstitutionDto } from '../../api/src/institutions/institution.dto';
import {
  ExecuteJourneyCommand,
  type JourneyIntent,
} from '../../api/src/journeys/execute-journey-command.handler';
import { OUTSIDE_HOSPITAL, OUTSIDE_REGION, type Plan, type PlannedJourney } from './simulation.plan';

/** Beijing time as CarePath's clients send it. */
const at = (ms: number) => `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;

/**
 * Drives the plan through the real command path, in process: the same command bus, handlers, deciders and event
 * store as the HTTP API (only HTTP parsing is skipped).
 */
export class SimulationRunner {
  private readonly bus: CommandBus;
  commands = 0;

  constructor(app: INestApplication) {
    this.bus = app.get(CommandBus);
  }

  private ctx(institutionId: string, role: RequestContext['actorRole'] = 'doctor'): RequestContext {
    const requestId = randomUUID();
    return {
      actorId: `sim-${institutionId.toLowerCase()}`,
      actorRole: role,
      institutionId,
      correlationId: requestId,
      requestId,
      idempotencyKey: null,
      ifMatch: null,
      consistency: 'written',
    };
  }

  async run(plan: Plan, onProgress: (done: number, total: number) => void = () => undefined): Promise<void> {
    for (const i of plan.institutions) {
      const register = {
        institutionId: i.institutionId,
        name: i.name,
        tier: i.tier,
        allianceId: i.allianceId,
        // The one hospital outside the region is what makes the in-region rate fall below 100%.
        regionCode: i.institutionId === OUTSIDE_HOSPITAL ? OUTSIDE_REGION : plan.preset.regionCode,
        occurredAt: '2020-01-01T00:00:00+08:00',
      } as RegisterInstitutionDto;
      await this.execute(
        new ExecuteInstitutionCommand(this.ctx('SIM-HC', 'admin'), {
          kind: 'RegisterInstitution',
          body: register,
        }),
      );
      const ward = {
        wardId: i.wardId,
        specialty: i.wardId,
        openBeds: i.beds,
        occurredAt: '2020-01-01T00:00:00+08:00',
      };
      await this.execute(
        new ExecuteInstitutionCommand(this.ctx('SIM-HC', 'admin'), {
          kind: 'OpenWard',
          institutionId: i.institutionId,
          body: ward,
        }),
      );
    }
    for (const [n, journey] of plan.journeys.entries()) {
      await this.journey(plan, journey);
      onProgress(n + 1, plan.journeys.length);
    }
  }

  private async execute<T>(command: ExecuteInstitutionCommand | ExecuteJourneyCommand): Promise<T> {
    this.commands++;
    return await this.bus.execute(command as never);
  }

  private async say(
    journeyId: string | null,
    institutionId: string,
    intent: JourneyIntent,
  ): Promise<Record<string, string> & { journeyId: string }> {
    const result = await this.execute<{ journeyId: string; created: Record<string, string> }>(
      new ExecuteJourneyCommand(journeyId, this.ctx(institutionId), intent),
    );
    return { ...result.created, journeyId: result.journeyId };
  }

  private async journey(plan: Plan, j: PlannedJourney): Promise<void> {
    const region = plan.preset.regionCode;
    if (j.kind === 'visit') {
      await this.say(null, j.institutionId, {
        kind: 'OpenJourney',
        body: {
          patientId: j.patientId,
          residenceRegion: region,
          institutionId: j.institutionId,
          visitType: 'outpatient',
          diagnosisCode: 'I10',
          occurredAt: at(j.visitAt),
        } as never,
      });
      return;
    }
    if (j.kind === 'up') {
      const { journeyId } = await this.say(null, j.community, {
        kind: 'OpenJourney',
        body: {
          patientId: j.patientId,
          residenceRegion: region,
          institutionId: j.community,
          visitType: 'outpatient',
          diagnosisCode: 'I21.4',
          occurredAt: at(j.visitAt),
        } as never,
      });
      const { referralId } = await this.say(journeyId, j.community, {
        kind: 'RequestReferral',
        body: {
          direction: 'up',
          fromInstitutionId: j.community,
          toInstitutionId: j.hospital,
          department: 'cardiology',
          priority: 'urgent',
          setting: 'inpatient',
          reasonCode: 'I21.4',
          occurredAt: at(j.visitAt + 3_600_000),
        } as never,
      });
      const ref = referralId!;
      if (j.outcome === 'cancelled') {
        await this.say(journeyId, j.community, {
          kind: 'CancelReferral',
          referralId: ref,
          body: { reason: 'patient-declined', occurredAt: at(j.visitAt + 2 * 3_600_000) } as never,
        });
        return;
      }
      await this.say(journeyId, j.hospital, {
        kind: 'ReceiveReferral',
        referralId: ref,
        occurredAt: at(j.visitAt + 2 * 3_600_000),
      });
      if (j.outcome === 'rejected') {
        await this.say(journeyId, j.hospital, {
          kind: 'RejectReferral',
          referralId: ref,
          body: { reason: 'not-indicated', occurredAt: at(j.visitAt + 3 * 3_600_000) } as never,
        });
        return;
      }
      await this.say(journeyId, j.hospital, {
        kind: 'AcceptReferral',
        referralId: ref,
        occurredAt: at(j.visitAt + 3 * 3_600_000),
      });
      const { admissionId } = await this.say(journeyId, j.hospital, {
        kind: 'AdmitPatient',
        body: {
          institutionId: j.hospital,
          wardId: 'general',
          referralId: ref,
          occurredAt: at(j.admittedAt),
        },
      });
      await this.say(journeyId, j.hospital, {
        kind: 'DischargePatient',
        admissionId: admissionId!,
        body: { disposition: 'home', occurredAt: at(j.dischargedAt) } as never,
      });
      await this.say(journeyId, j.hospital, {
        kind: 'CompleteReferral',
        referralId: ref,
        occurredAt: at(j.dischargedAt + 60_000),
      });
      return;
    }
    const { journeyId } = await this.say(null, j.hospital, {
      kind: 'OpenJourney',
      body: {
        patientId: j.patientId,
        residenceRegion: region,
        institutionId: j.hospital,
        visitType: 'emergency',
        diagnosisCode: 'S72.0',
        occurredAt: at(j.visitAt),
      } as never,
    });
    const { admissionId: upstairs } = await this.say(journeyId, j.hospital, {
      kind: 'AdmitPatient',
      body: { institutionId: j.hospital, wardId: 'general', occurredAt: at(j.hospitalAdmittedAt) },
    });
    const { referralId } = await this.say(journeyId, j.hospital, {
      kind: 'RequestReferral',
      body: {
        direction: 'down',
        fromInstitutionId: j.hospital,
        toInstitutionId: j.community,
        department: 'rehab',
        priority: 'routine',
        setting: 'inpatient',
        reasonCode: 'Z50.1',
        occurredAt: at(j.referredAt),
      } as never,
    });
    await this.say(journeyId, j.community, {
      kind: 'AcceptReferral',
      referralId: referralId!,
      occurredAt: at(j.referredAt + 3_600_000),
    });
    await this.say(journeyId, j.hospital, {
      kind: 'DischargePatient',
      admissionId: upstairs!,
      body: {
        disposition: 'rehab',
        destinationInstitutionId: j.community,
        occurredAt: at(j.hospitalDischargedAt),
      } as never,
    });
    const { admissionId: rehab } = await this.say(journeyId, j.community, {
      kind: 'AdmitPatient',
      body: {
        institutionId: j.community,
        wardId: 'rehab',
        referralId: referralId!,
        occurredAt: at(j.communityAdmittedAt),
      },
    });
    await this.say(journeyId, j.community, {
      kind: 'DischargePatient',
      admissionId: rehab!,
      body: { disposition: 'home', occurredAt: at(j.communityDischargedAt) } as never,
    });
    await this.say(journeyId, j.community, {
      kind: 'CompleteReferral',
      referralId: referralId!,
      occurredAt: at(j.communityDischargedAt + 60_000),
    });
  }
}
