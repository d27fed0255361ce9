import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { lastNotificationSequence, queryNotifications } from '@carepath/projections';
import { FieldException } from '../common/http-errors';
import { Ctx, type RequestContext } from '../common/request-context';
import { ProjectionsService } from '../projections/projections.service';
import { notificationBody } from './notification-body';
import { NotificationFeedDto } from './notification-response.dto';
import { NotificationFeedQueryDto, NotificationStreamQueryDto } from './notification.dto';
import { NotificationStreams } from './notification-streams';

/**
 * What the caller's own institution was told (docs/notifications.md): the feed pages through it by cursor, the
 * stream pushes it to screens. Each reads the notifications read model, never another institution's rows.
 */
@ApiTags('notifications')
@Controller('notifications')
export class NotificationsController {
  constructor(
    private readonly projections: ProjectionsService,
    private readonly streams: NotificationStreams,
  ) {}

  @Get()
  @ApiOkResponse({ type: NotificationFeedDto })
  @ApiOperation({ summary: "The caller's institution's notifications after a cursor, oldest first" })
  async feed(@Query() q: NotificationFeedQueryDto, @Ctx() ctx: RequestContext): Promise<NotificationFeedDto> {
    const since = Number(q.since ?? 0);
    const limit = Number(q.limit ?? 100);
    if (limit > 500) throw new FieldException('limit', 'must be a whole number from 1 to 500');
    const rows = await queryNotifications(
      this.projections.sql('notifications'),
      ctx.institutionId,
      since,
      limit + 1,
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map(notificationBody),
      next: String(page.at(-1)?.sequence ?? since),
      hasMore: rows.length > limit,
    };
  }

  @Get('stream')
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this notification' })
  @ApiOkResponse({
    description:
      'Server-sent events: `event: notification`, `id:` its sequence, `data:` the notification as JSON; a comment line when idle',
    content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/NotificationDto' } } },
  })
  @ApiOperation({ summary: "A stream of the caller's institution's notifications as they are projected" })
  async stream(
    @Query() q: NotificationStreamQueryDto,
    @Ctx() ctx: RequestContext,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const header = req.headers['last-event-id'];
    const lastEventId = Array.isArray(header) ? header[0] : header;
    if (lastEventId !== undefined && lastEventId !== '' && !/^\d{1,15}$/.test(lastEventId))
      throw new FieldException('Last-Event-ID', 'must be the id of an event this stream sent (digits)');
    const given = lastEventId || q.since;
    // Checked before the answer starts: an unavailable read model is a 503, not a stream that never speaks.
    const reader = this.projections.sql('notifications');
    const cursor = given !== undefined ? Number(given) : await lastNotificationSequence(reader);
    // Fastify's reply is taken over: Nest's @Sse rides on an RxJS Observable and Express-style writes, and the
    // raw response is what a long-lived stream needs on Fastify (headers set by the edge hooks are kept).
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 3000\n\n');
    this.streams.serve(raw, ctx.institutionId, cursor);
  }
}
