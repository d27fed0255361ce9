import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from './config/app-config.token';
import { ErrorFilter } from './common/error.filter';
import { HealthController } from './health/health.controller';
import { InstitutionsController } from './institutions/institutions.controller';
import {
  GetJourneyHandler,
  GetJourneyHistoryHandler,
  GetJourneyTimelineHandler,
} from './journeys/journey.queries';
import { AnalyticsController } from './analytics/analytics.controller';
import { FamilyDoctorAnalyticsController } from './analytics/family-doctor-analytics.controller';
import { FamilyDoctorReadsController } from './family-doctors-read/family-doctor-reads.controller';
import { PopulationController } from './population/population.controller';
import { CalendarsController } from './calendars/calendars.controller';
import { ProjectionsController } from './projections/projections.controller';
import { ProcessManager, PROCESS_SCHEDULER, realProcessScheduler } from './processes/process-manager';
import { DutyLeases } from './processes/duty-leases';
import { processPortsProvider } from './processes/process-ports';
import { ProcessesController } from './processes/processes.controller';
import { AccessLog } from './audit/access-log';
import { AccessGuard } from './auth/access.guard';
import { JourneyAccess } from './auth/journey-access';
import { RateLimiter } from './auth/rate-limiter';
import { TokenVerifier } from './auth/token-verifier';
import { AuditController } from './audit/audit.controller';
import { ConsoleAuthController } from './console/console-auth.controller';
import { ConsoleSignIn } from './console/console-sign-in';
import { ProjectionsService } from './projections/projections.service';
import { JourneyReader } from './journeys/journey.reader';
import { AdmissionsController } from './journeys/admissions.controller';
import { CorrectionsController } from './journeys/corrections.controller';
import { JourneyWrites } from './journeys/journey-writes';
import { JourneysController } from './journeys/journeys.controller';
import { PatientJourneysController } from './journeys/patient-journeys.controller';
import { WorklistsController } from './worklists/worklists.controller';
import { ReferralsController } from './journeys/referrals.controller';
import { ReferralOutcomesController } from './journeys/referral-outcomes.controller';
import { ProposalsController } from './journeys/proposals.controller';
import { FollowUpsController } from './journeys/follow-ups.controller';
import { CareStreamWrites } from './family-doctors/care-stream-writes';
import { FamilyDoctorsController } from './family-doctors/family-doctors.controller';
import { ResidentContracts } from './family-doctors/resident-contracts';
import { SlotBlocks } from './slots/slot-blocks';
import { SlotBlocksController } from './slots/slot-blocks.controller';
import { InstitutionDirectory } from './reference/institution-directory';
import { LiveReferenceModel } from './reference/live-reference.model';
import { HolidayCalendars } from './reference/holiday-calendars';
import { EventStoreModule } from './store/event-store.module';
import { NotificationsController } from './notifications/notifications.controller';
import { NotificationStreams } from './notifications/notification-streams';
import { DISPATCH_TIMER, NotificationWatch, realDispatchTimer } from './notifications/notification-watch';
import { WebhookDispatcher } from './notifications/webhook-dispatcher';
import { WebhookSecrets } from './notifications/webhook-secrets';
import { WebhooksController } from './notifications/webhooks.controller';
import { CLOCK, type Clock } from './store/tokens';
import { StreamWrites } from './store/stream-writes';
import { HeavyWork } from './work/heavy-work.service';

@Module({})
export class AppModule {
  /**
   * `clock` is the one source of "now" for writes, reads and processes; specs pass a fake one to move care time
   * (test/support/fake-clock.ts). Token expiry and rate windows stay on the wall clock: they guard the edge, not care.
   */
  static forRoot(config: AppConfig, options: { clock?: Clock | undefined } = {}): DynamicModule {
    const clock: Clock = options.clock ?? (() => new Date());
    return {
      module: AppModule,
      imports: [
        {
          module: ConfigHolder,
          global: true,
          providers: [
            { provide: APP_CONFIG, useValue: config },
            { provide: CLOCK, useValue: clock },
          ],
          exports: [APP_CONFIG, CLOCK],
        },
        EventStoreModule,
        CqrsModule.forRoot(),
      ],
      controllers: [
        InstitutionsController,
        JourneysController,
        PatientJourneysController,
        ReferralsController,
        ReferralOutcomesController,
        ProposalsController,
        FollowUpsController,
        AdmissionsController,
        CorrectionsController,
        FamilyDoctorsController,
        SlotBlocksController,
        AnalyticsController,
        WorklistsController,
        FamilyDoctorAnalyticsController,
        FamilyDoctorReadsController,
        PopulationController,
        CalendarsController,
        NotificationsController,
        WebhooksController,
        ProjectionsController,
        ProcessesController,
        AuditController,
        HealthController,
        ConsoleAuthController,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ErrorFilter },
        // Who may do what (issue 17): the token, the rate budget, the role and the institution, before any handler.
        { provide: APP_GUARD, useClass: AccessGuard },
        TokenVerifier,
        ConsoleSignIn,
        RateLimiter,
        JourneyAccess,
        HeavyWork,
        LiveReferenceModel,
        InstitutionDirectory,
        HolidayCalendars,
        JourneyReader,
        StreamWrites,
        JourneyWrites,
        CareStreamWrites,
        ResidentContracts,
        SlotBlocks,
        GetJourneyHandler,
        GetJourneyHistoryHandler,
        GetJourneyTimelineHandler,
        ProjectionsService,
        // The process manager (docs/architecture.md, "Processes"); the scheduler is a token so specs can fire it.
        { provide: PROCESS_SCHEDULER, useValue: realProcessScheduler },
        processPortsProvider,
        ProcessManager,
        { provide: DISPATCH_TIMER, useValue: realDispatchTimer },
        NotificationWatch,
        NotificationStreams,
        WebhookSecrets,
        WebhookDispatcher,
        // With several replicas on PostgreSQL, the one holding each duty's lease runs it (docs/scaling.md).
        DutyLeases,
        AccessLog,
      ],
    };
  }
}

@Module({})
class ConfigHolder {}
