import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { EventStore } from '@carepath/event-store';
import type { Response } from 'express';
import { LiveReferenceModel } from '../reference/live-reference.model';
import { EVENT_STORE } from '../store/tokens';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly live: LiveReferenceModel,
  ) {}

  /** 200 when the store answers and the live model runs; 503 otherwise, so a load balancer can act on it. */
  @Get()
  async health(@Res({ passthrough: true }) res: Response) {
    const store = await this.store.health().catch((error: unknown) => ({
      status: 'down' as const,
      kind: 'unknown',
      details: { error: String(error) },
    }));
    const reference = this.live.status;
    const up = store.status === 'up' && reference.healthy;
    res.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: up ? 'up' : 'down', store, referenceModel: reference };
  }
}
