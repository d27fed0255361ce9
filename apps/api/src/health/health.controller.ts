import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { EventStore } from '@carepath/event-store';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { DutyLeases } from '../processes/duty-leases';
import { ProjectionsService } from '../projections/projections.service';
import { HolidayCalendars } from '../reference/holiday-calendars';
import { LiveReferenceModel } from '../reference/live-reference.model';
import { EVENT_STORE } from '../store/tokens';
import { healthReport, type HealthReport } from './health-report';
import { HealthReportDto } from './health-report.dto';
import { ReadinessCheck, storeWriteProbeFor } from './readiness.check';

const NotReady = () =>
  ApiServiceUnavailableResponse({
    type: HealthReportDto,
    description: 'Not ready: the indicators down, and why',
  });

/**
 * Liveness and readiness, as a load balancer or an orchestrator asks them: `/health/live` says the process
 * answers (restart it if not), `/health/ready` whether it can do its work (send it traffic if so). Both in the
 * shape `@nestjs/terminus` gives; 503 when any indicator is down, with the reasons.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly readiness: ReadinessCheck;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(APP_CONFIG) config: AppConfig,
    live: LiveReferenceModel,
    projections: ProjectionsService,
    calendars: HolidayCalendars,
    private readonly duties: DutyLeases,
  ) {
    this.readiness = new ReadinessCheck(
      store,
      storeWriteProbeFor(config),
      live,
      projections,
      config,
      calendars,
    );
  }

  /** As `/health/ready`: what scripts and probes written before the split ask. */
  @Get()
  @ApiOperation({ summary: 'As /health/ready' })
  @ApiOkResponse({ type: HealthReportDto })
  @NotReady()
  health(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    return this.ready(reply);
  }

  @Get('live')
  @ApiOkResponse({ type: HealthReportDto })
  @ApiOperation({
    summary:
      'The process answers (200 while its event loop runs); `duties`: the single-instance duties this replica holds',
  })
  live(): HealthReport {
    return healthReport({
      process: { status: 'up', uptimeSeconds: Math.round(process.uptime()) },
      // Which replica runs the processes and the webhooks now (docs/scaling.md, "API replicas").
      duties: {
        status: 'up',
        leases: this.duties.mode,
        holder: this.duties.holder,
        competing: this.duties.competing(),
        holding: this.duties.holding(),
      },
    });
  }

  @Get('ready')
  @ApiOkResponse({ type: HealthReportDto })
  @NotReady()
  @ApiOperation({
    summary:
      'The store accepts a write, the reference model runs, no projection failed, is damaged or lags past READY_MAX_PROJECTION_LAG; 503 with the reasons otherwise',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    const report = await this.readiness.run();
    reply.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}
