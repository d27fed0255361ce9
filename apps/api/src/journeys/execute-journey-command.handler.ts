import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  CORRECTABLE_FIELDS,
  DISCHARGE_DISPOSITIONS,
  DomainError,
  entryOf,
  type CommandMetadata,
  type JourneyCommand,
  type JourneyState,
  journeyStreamId,
  VISIT_TYPES,
} from '@carepath/domain';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { FieldException } from '../common/http-errors';
import type { RequestContext } from '../common/request-context';
import { CODE_ID } from '@carepath/runtime';
import { CLINICAL_CODE, ICD10 } from '../common/validation';
import { InstitutionDirectory } from '../reference/institution-directory';
import { checkCareWindow, deriveId, StreamWriter, type WriteOutcome } from '../store/stream-writer';
import { CLOCK, type Clock } from '../store/tokens';
import type {
  AdmitPatientDto,
  CancelReferralDto,
  CorrectEventDto,
  DischargePatientDto,
  MarkEnteredInErrorDto,
  MoveWardDto,
  OpenJourneyDto,
  RecordRehabSessionDto,
  RecordSurgeryDto,
  RecordVisitDto,
  RejectReferralDto,
  RequestReferralDto,
  StartLeaveDto,
} from './journey.dto';
import { journeyDecider, journeyNotFound } from './journey.reader';

/** What a route asks for, before reference data is resolved; the handler turns it into a domain command. */
export type JourneyIntent =
  | { kind: 'OpenJourney'; body: OpenJourneyDto }
  | { kind: 'RecordVisit'; body: RecordVisitDto }
  | { kind: 'RequestReferral'; body: RequestReferralDto }
  | {
      kind: 'ReceiveReferral' | 'AcceptReferral' | 'CompleteReferral' | 'ExpireReferral';
      referralId: string;
      occurredAt: string;
    }
  | { kind: 'RejectReferral'; referralId: string; body: RejectReferralDto }
  | { kind: 'CancelReferral'; referralId: string; body: CancelReferralDto }
  | { kind: 'AdmitPatient'; body: AdmitPatientDto }
  | { kind: 'StartLeave'; admissionId: string; body: StartLeaveDto }
  | { kind: 'EndLeave'; admissionId: string; occurredAt: string }
  | { kind: 'MoveWard'; admissionId: string; body: MoveWardDto }
  | { kind: 'DischargePatient'; admissionId: string; body: DischargePatientDto }
  | { kind: 'RecordSurgery'; body: RecordSurgeryDto }
  | { kind: 'RecordRehabSession'; body: RecordRehabSessionDto }
  | { kind: 'CloseJourney'; occurredAt: string }
  | { kind: 'MarkEnteredInError'; eventId: string; body: MarkEnteredInErrorDto }
  | { kind: 'CorrectEvent'; eventId: string; body: CorrectEventDto };

export interface JourneyWriteResult extends WriteOutcome {
  readonly journeyId: string;
  /** Id minted by this command (referral, admission, visit, ...), when it created one. */
  readonly created: Readonly<Record<string, string>>;
}

/** `journeyId` is null for OpenJourney: the handler mints it (derived from the Idempotency-Key when present). */
export class ExecuteJourneyCommand extends Command<JourneyWriteResult> {
  constructor(
    readonly journeyId: string | null,
    readonly ctx: RequestContext,
    readonly intent: JourneyIntent,
  ) {
    super();
  }
}

@CommandHandler(ExecuteJourneyCommand)
export class ExecuteJourneyCommandHandler implements ICommandHandler<
  ExecuteJourneyCommand,
  JourneyWriteResult
> {
  constructor(
    private readonly writer: StreamWriter,
    private readonly institutions: InstitutionDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ journeyId: given, ctx, intent }: ExecuteJourneyCommand): Promise<JourneyWriteResult> {
    // Ids are minted here, in the shell; with an Idempotency-Key they are derived from it so a retry of
    // "open a journey" lands on the same stream and is recognised there.
    const journeyId =
      given ??
      (ctx.idempotencyKey ? deriveId('journey', ctx.institutionId, ctx.idempotencyKey) : randomUUID());
    const mint = (name: string) =>
      ctx.idempotencyKey ? deriveId(name, journeyId, ctx.institutionId, ctx.idempotencyKey) : randomUUID();
    const created: Record<string, string> = {};
    const occurredAt = careTime(intent, this.clock);
    const outcome = await this.writer.execute(journeyDecider, {
      streamId: journeyStreamId(journeyId),
      ctx,
      occurredAt,
      fingerprint: { intent, journeyId: given },
      requireExisting: intent.kind === 'OpenJourney' ? undefined : () => journeyNotFound(journeyId),
      // A journey id just drawn at random names no stream yet: opening it need not read it.
      fresh: given === null && !ctx.idempotencyKey,
      buildCommand: (state, metadata) => this.build(journeyId, intent, state, metadata, mint, created),
    });
    return { ...outcome, journeyId, created: outcome.replayed ? mintedIds(intent, mint) : created };
  }

  private async build(
    journeyId: string,
    intent: JourneyIntent,
    state: JourneyState,
    metadata: CommandMetadata,
    mint: (name: string) => string,
    created: Record<string, string>,
  ): Promise<JourneyCommand> {
    const newId = (name: string): string => (created[name] = mint(name));
    switch (intent.kind) {
      case 'OpenJourney': {
        const b = intent.body;
        return {
          type: 'OpenJourney',
          metadata,
          data: {
            journeyId,
            patientId: b.patientId,
            residenceRegion: b.residenceRegion,
            visitId: newId('visitId'),
            institution: await this.institutions.snapshot(b.institutionId),
            visitType: b.visitType,
            diagnosisCode: b.diagnosisCode,
          },
        };
      }
      case 'RecordVisit': {
        const b = intent.body;
        return {
          type: 'RecordVisit',
          metadata,
          data: {
            visitId: newId('visitId'),
            institution: await this.institutions.snapshot(b.institutionId),
            visitType: b.visitType,
            diagnosisCode: b.diagnosisCode,
            referralId: b.referralId ?? null,
          },
        };
      }
      case 'RequestReferral': {
        const b = intent.body;
        return {
          type: 'RequestReferral',
          metadata,
          data: {
            referralId: newId('referralId'),
            direction: b.direction,
            from: await this.institutions.snapshot(b.fromInstitutionId, 'fromInstitutionId'),
            to: await this.institutions.snapshot(b.toInstitutionId, 'toInstitutionId'),
            department: b.department,
            priority: b.priority,
            setting: b.setting,
            reasonCode: b.reasonCode,
            deadlinePolicy: this.config.deadlinePolicy,
          },
        };
      }
      case 'ReceiveReferral':
      case 'AcceptReferral':
      case 'CompleteReferral':
      case 'ExpireReferral':
        return { type: intent.kind, metadata, data: { referralId: intent.referralId } };
      case 'RejectReferral': {
        const b = intent.body;
        const redirect = b.redirectToInstitutionId
          ? await this.institutions.snapshot(b.redirectToInstitutionId, 'redirectToInstitutionId')
          : null;
        return {
          type: 'RejectReferral',
          metadata,
          data: {
            referralId: intent.referralId,
            reason: b.reason,
            redirectTo: redirect,
            redirectReferralId: redirect ? newId('redirectReferralId') : null,
            deadlinePolicy: this.config.deadlinePolicy,
          },
        };
      }
      case 'CancelReferral':
        return {
          type: 'CancelReferral',
          metadata,
          data: { referralId: intent.referralId, reason: intent.body.reason },
        };
      case 'AdmitPatient': {
        const b = intent.body;
        if (b.discharge)
          checkCareWindow('discharge.occurredAt', b.discharge.occurredAt, this.clock(), this.config);
        const institution = await this.institutions.get(b.institutionId);
        const ward = await this.institutions.ward(institution, b.wardId);
        return {
          type: 'AdmitPatient',
          metadata,
          data: {
            admissionId: newId('admissionId'),
            institution: {
              institutionId: institution.institutionId,
              tier: institution.tier,
              allianceId: institution.allianceId,
              regionCode: institution.regionCode,
            },
            ward,
            bedId: b.bedId ?? null,
            referralId: b.referralId ?? null,
            discharge: b.discharge
              ? {
                  occurredAt: b.discharge.occurredAt,
                  disposition: b.discharge.disposition,
                  destinationInstitutionId: b.discharge.destinationInstitutionId ?? null,
                }
              : null,
          },
        };
      }
      case 'StartLeave':
        return {
          type: 'StartLeave',
          metadata,
          data: { admissionId: intent.admissionId, holdBed: intent.body.holdBed ?? true },
        };
      case 'EndLeave':
        return { type: 'EndLeave', metadata, data: { admissionId: intent.admissionId } };
      case 'MoveWard': {
        const admission =
          state.status === 'not-opened' ? undefined : entryOf(state.admissions, intent.admissionId);
        // The ward can only be resolved through the admission's institution.
        if (!admission) {
          throw new DomainError('ADMISSION_NOT_FOUND', 'No such admission in this journey.', {
            admissionId: intent.admissionId,
          });
        }
        const institution = await this.institutions.get(admission.institutionId);
        return {
          type: 'MoveWard',
          metadata,
          data: {
            admissionId: intent.admissionId,
            toWard: await this.institutions.ward(institution, intent.body.toWardId),
            bedId: intent.body.bedId ?? null,
          },
        };
      }
      case 'DischargePatient': {
        const b = intent.body;
        if (b.destinationInstitutionId)
          await this.institutions.get(b.destinationInstitutionId, 'destinationInstitutionId');
        return {
          type: 'DischargePatient',
          metadata,
          data: {
            admissionId: intent.admissionId,
            disposition: b.disposition,
            destinationInstitutionId: b.destinationInstitutionId ?? null,
          },
        };
      }
      case 'RecordSurgery':
        await this.institutions.get(intent.body.institutionId);
        return {
          type: 'RecordSurgery',
          metadata,
          data: {
            surgeryId: newId('surgeryId'),
            institutionId: intent.body.institutionId,
            procedureCode: intent.body.procedureCode,
          },
        };
      case 'RecordRehabSession':
        await this.institutions.get(intent.body.institutionId);
        return {
          type: 'RecordRehabSession',
          metadata,
          data: {
            sessionId: newId('sessionId'),
            institutionId: intent.body.institutionId,
            therapyCode: intent.body.therapyCode,
          },
        };
      case 'CloseJourney':
        return { type: 'CloseJourney', metadata, data: {} };
      case 'MarkEnteredInError':
        return {
          type: 'MarkEnteredInError',
          metadata,
          data: { targetEventId: intent.eventId, reason: intent.body.reason },
        };
      case 'CorrectEvent': {
        const b = intent.body;
        checkCareWindow('occurredAt', b.occurredAt, this.clock(), this.config);
        return {
          type: 'CorrectEvent',
          metadata,
          data: {
            targetEventId: intent.eventId,
            targetType: b.targetType,
            occurredAt: b.occurredAt,
            patch: await this.validatePatch(b),
          },
        };
      }
    }
  }

  /** Patch values get the same format checks as the fields they replace (400 naming `patch.<field>`). */
  private async validatePatch(body: CorrectEventDto): Promise<Record<string, string | null>> {
    const patch: Record<string, string | null> = {};
    const allowed = CORRECTABLE_FIELDS[body.targetType];
    for (const [field, value] of Object.entries(body.patch ?? {})) {
      const name = `patch.${field}`;
      if (!allowed.includes(field)) {
        throw new FieldException(
          name,
          `is not correctable on ${body.targetType} (allowed: ${allowed.join(', ') || 'none'})`,
        );
      }
      if (value !== null && typeof value !== 'string')
        throw new FieldException(name, 'must be a string or null');
      const check = PATCH_FORMATS[field];
      if (check && !check.valid(value)) throw new FieldException(name, check.message);
      if (field === 'destinationInstitutionId' && typeof value === 'string') {
        await this.institutions.get(value, name);
      }
      patch[field] = value;
    }
    return patch;
  }
}

const PATCH_FORMATS: Record<string, { valid: (v: string | null) => boolean; message: string }> = {
  visitType: {
    valid: (v) => (VISIT_TYPES as readonly (string | null)[]).includes(v),
    message: `must be one of: ${VISIT_TYPES.join(', ')}`,
  },
  diagnosisCode: { valid: (v) => v !== null && ICD10.test(v), message: 'must be an ICD-10 code' },
  bedId: { valid: (v) => v === null || CODE_ID.test(v), message: 'must be a bed code or null' },
  procedureCode: { valid: (v) => v !== null && CLINICAL_CODE.test(v), message: 'must be a procedure code' },
  therapyCode: { valid: (v) => v !== null && CLINICAL_CODE.test(v), message: 'must be a therapy code' },
  disposition: {
    valid: (v) => (DISCHARGE_DISPOSITIONS as readonly (string | null)[]).includes(v),
    message: `must be one of: ${DISCHARGE_DISPOSITIONS.join(', ')}`,
  },
  destinationInstitutionId: {
    valid: (v) => v === null || CODE_ID.test(v),
    message: 'must be an institution code or null',
  },
};

/** Corrections and voids are administrative acts done now; every other command says when care happened. */
function careTime(intent: JourneyIntent, clock: Clock): string {
  switch (intent.kind) {
    case 'MarkEnteredInError':
    case 'CorrectEvent':
      return clock().toISOString();
    case 'ReceiveReferral':
    case 'AcceptReferral':
    case 'CompleteReferral':
    case 'ExpireReferral':
    case 'EndLeave':
    case 'CloseJourney':
      return intent.occurredAt;
    default:
      return intent.body.occurredAt;
  }
}

/** Ids each intent mints; on a replay they are minted again from the same key, so the answer matches. */
const MINTS: Partial<Record<JourneyIntent['kind'], readonly string[]>> = {
  OpenJourney: ['visitId'],
  RecordVisit: ['visitId'],
  RequestReferral: ['referralId'],
  AdmitPatient: ['admissionId'],
  RecordSurgery: ['surgeryId'],
  RecordRehabSession: ['sessionId'],
};

function mintedIds(intent: JourneyIntent, mint: (name: string) => string): Record<string, string> {
  const names =
    intent.kind === 'RejectReferral'
      ? intent.body.redirectToInstitutionId
        ? ['redirectReferralId']
        : []
      : (MINTS[intent.kind] ?? []);
  return Object.fromEntries(names.map((name) => [name, mint(name)]));
}
