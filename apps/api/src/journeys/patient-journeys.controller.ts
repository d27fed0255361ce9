import { Controller, Get, Query } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { queryPatientJourneys } from '@carepath/projections';
import { ACCESS_REASONS } from '@carepath/runtime';
import { AccessLog } from '../audit/access-log';
import { careInstitutions, readBasis } from '../auth/care-relationship';
import { Access, type AccessContext } from '../common/request-context';
import { ProjectionsService } from '../projections/projections.service';
import { JourneyReader } from './journey.reader';
import { type PatientJourneyDto, PatientJourneysDto, PatientJourneysQueryDto } from './patient-journeys.dto';

/**
 * Patient search by pseudonymous id (issue 20; docs/worklists.md, "Patient search"). The worklist read model's
 * patient index names the candidate journeys; each is then judged on its stream as it stands, by the rule of
 * every journey read (care-relationship.ts: a care relationship, an auditor, or break-glass). A journey the reader
 * may not see is left out without a word, so an empty answer says nothing about journeys elsewhere; each one
 * disclosed is written to the access log (resource `search`) before the answer is sent.
 */
@ApiTags('journeys')
@Controller('journeys')
export class PatientJourneysController {
  constructor(
    private readonly projections: ProjectionsService,
    private readonly reader: JourneyReader,
    private readonly accessLog: AccessLog,
  ) {}

  @Get()
  @ApiOkResponse({ type: PatientJourneysDto })
  @ApiHeader({ name: 'X-Access-Reason', required: true, description: ACCESS_REASONS.join(' | ') })
  @ApiHeader({
    name: 'X-Access-Justification',
    required: false,
    description: 'With X-Access-Reason: emergency, why records are searched outside the care relationship',
  })
  @ApiOperation({ summary: "A patient's journeys by pseudonymous id, those the reader may see; logged" })
  async search(
    @Query() q: PatientJourneysQueryDto,
    @Access() ctx: AccessContext,
  ): Promise<PatientJourneysDto> {
    const reader = {
      role: ctx.actorRole,
      institutionId: ctx.institutionId,
      reason: ctx.reason,
      justification: ctx.justification,
    };
    const journeys: PatientJourneyDto[] = [];
    for (const candidate of await queryPatientJourneys(this.projections.sql('worklist'), q.patientId)) {
      const { state, revision } = await this.reader.load(candidate.journeyId);
      // The index may lag a void of the opening or name a journey of another patient after a correction: the
      // stream decides.
      if (revision === 'no-stream' || state.status === 'not-opened' || state.patientId !== q.patientId)
        continue;
      const basis = readBasis(reader, careInstitutions(state));
      if (basis === null) continue;
      await this.accessLog.record(ctx, state.journeyId, 'search', basis);
      journeys.push({
        journeyId: state.journeyId,
        revision: Number(revision),
        status: state.status,
        residenceRegion: state.residenceRegion,
        openedAt: state.openedAt,
        closedAt: state.closedAt,
        basis,
      });
    }
    return { patientId: q.patientId, journeys };
  }
}
