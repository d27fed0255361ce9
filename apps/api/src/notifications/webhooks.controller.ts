import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type WebhookEndpoint, webhookEndpointsDecider, webhookEndpointsStreamId } from '@carepath/domain';
import type { AppConfig } from '@carepath/runtime';
import { WritePath } from '@carepath/write-path';
import { APP_CONFIG } from '../config/app-config.token';
import { FieldException, ResourceNotFoundException } from '../common/http-errors';
import { uuid } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import { ApiWritten, type HeaderReply } from '../common/write-response';
import { StreamWrites, writeAnswer } from '../store/stream-writes';
import { DeliveryListDto, WebhookListDto, WebhookWrittenDto } from './notification-response.dto';
import { DeliveriesQueryDto, RegisterWebhookDto } from './notification.dto';
import { WebhookDispatcher } from './webhook-dispatcher';
import { webhookHostRefusal } from './webhook-hosts';
import { WebhookSecrets } from './webhook-secrets';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The URL a webhook may have: https, or http to this machine (or anywhere WEBHOOK_ALLOW_HTTP allows), on a host the
 * API may post to (webhookHostRefusal).
 */
function webhookUrl(given: string, allowHttp: boolean, allowedHosts: readonly string[] | null): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new FieldException('url', 'must be an absolute URL');
  }
  if (
    url.protocol !== 'https:' &&
    !(url.protocol === 'http:' && (allowHttp || LOCAL_HOSTS.has(url.hostname)))
  ) {
    throw new FieldException(
      'url',
      'must be https (http only for localhost, or with WEBHOOK_ALLOW_HTTP=true)',
    );
  }
  // Credentials in a URL would end up in the log (events are kept for ever): receivers verify signatures instead.
  if (url.username || url.password) throw new FieldException('url', 'must not carry a user name or password');
  if (url.hash) throw new FieldException('url', 'must not have a fragment');
  const refusal = webhookHostRefusal(url.hostname, allowedHosts);
  if (refusal) throw new FieldException('url', refusal);
  return url.toString();
}

/**
 * An institution's webhook endpoints (docs/notifications.md, "Webhooks"): registered, rotated and removed as events
 * on the institution's own stream through the one write path; read with their delivery health. The caller acts
 * for its own institution only: another institution's endpoint is a 404 here, whatever its id.
 */
@ApiTags('notifications')
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly streams: StreamWrites,
    private readonly writePath: WritePath,
    private readonly secrets: WebhookSecrets,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private async own(ctx: RequestContext): Promise<WebhookEndpoint[]> {
    const { state } = await this.writePath.current(
      webhookEndpointsStreamId(ctx.institutionId),
      webhookEndpointsDecider,
    );
    return Object.values(state.endpoints);
  }

  private async ownEndpoint(ctx: RequestContext, webhookId: string): Promise<WebhookEndpoint> {
    const endpoint = (await this.own(ctx)).find((e) => e.endpointId === webhookId);
    if (!endpoint)
      throw new ResourceNotFoundException('WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook ${webhookId}`);
    return endpoint;
  }

  /** A command on one of the caller's own endpoints (404 for any other, whoever's it is). */
  private async onEndpoint(
    reply: HeaderReply,
    ctx: RequestContext,
    type: 'RotateWebhookSecret' | 'RemoveWebhookEndpoint',
    webhookId: string,
  ) {
    await this.ownEndpoint(ctx, webhookId);
    return this.streams.write(
      reply,
      ctx,
      webhookEndpointsDecider,
      { type, metadata: this.streams.metadata(ctx), data: { endpointId: webhookId } },
      { streamId: webhookEndpointsStreamId(ctx.institutionId), fingerprint: { kind: type, webhookId } },
    );
  }

  @Post()
  @ApiCreatedResponse({
    type: WebhookWrittenDto,
    description: 'Registered; the answer holds the signing secret',
  })
  @ApiOperation({
    summary: 'Register a webhook endpoint for the caller’s institution (answers its secret once)',
  })
  async register(
    @Body() body: RegisterWebhookDto,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const url = webhookUrl(
      body.url,
      this.config.notifications.allowHttp,
      this.config.notifications.allowedHosts,
    );
    const webhookId = this.streams.newId(ctx, 'webhook-endpoint', ctx.institutionId);
    const result = await this.streams.write(
      reply,
      ctx,
      webhookEndpointsDecider,
      {
        type: 'RegisterWebhookEndpoint',
        metadata: this.streams.metadata(ctx),
        data: { endpointId: webhookId, url, kinds: body.kinds ?? [] },
      },
      {
        streamId: webhookEndpointsStreamId(ctx.institutionId),
        fingerprint: { kind: 'RegisterWebhookEndpoint', body },
      },
    );
    return {
      webhookId,
      secret: this.secrets.secretOf(webhookId, 1),
      secretVersion: 1,
      ...writeAnswer(result),
    };
  }

  @Post(':webhookId/rotate-secret')
  @ApiCreatedResponse({
    type: WebhookWrittenDto,
    description: 'A new secret; the old one signs nothing from now',
  })
  @ApiOperation({ summary: 'Give a webhook endpoint a new signing secret (answers it once)' })
  async rotate(
    @Param('webhookId', uuid('webhookId')) webhookId: string,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const result = await this.onEndpoint(reply, ctx, 'RotateWebhookSecret', webhookId);
    // Read back from the stream: a replayed rotation answers the version in force.
    const { secretVersion } = await this.ownEndpoint(ctx, webhookId);
    return {
      webhookId,
      secret: this.secrets.secretOf(webhookId, secretVersion),
      secretVersion,
      ...writeAnswer(result),
    };
  }

  @Delete(':webhookId')
  @HttpCode(200)
  @ApiWritten()
  @ApiOperation({ summary: 'Remove a webhook endpoint: deliveries waiting for it are cancelled' })
  async remove(
    @Param('webhookId', uuid('webhookId')) webhookId: string,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: HeaderReply,
  ) {
    const result = await this.onEndpoint(reply, ctx, 'RemoveWebhookEndpoint', webhookId);
    return { webhookId, ...writeAnswer(result) };
  }

  @Get()
  @ApiOkResponse({ type: WebhookListDto })
  @ApiOperation({ summary: "The caller's institution's webhook endpoints with their delivery health" })
  async list(@Ctx() ctx: RequestContext): Promise<WebhookListDto> {
    const endpoints = (await this.own(ctx)).filter((e) => e.removedAt === null);
    return {
      items: await Promise.all(
        endpoints.map(async (e) => ({
          webhookId: e.endpointId,
          url: e.url,
          kinds: [...e.kinds],
          secretVersion: e.secretVersion,
          registeredAt: e.registeredAt,
          health: await this.dispatcher.deliveries.health(e.endpointId),
        })),
      ),
    };
  }

  @Get(':webhookId/deliveries')
  @ApiOkResponse({ type: DeliveryListDto })
  @ApiOperation({ summary: "A webhook endpoint's deliveries, newest first (by default those that failed)" })
  async deliveries(
    @Param('webhookId', uuid('webhookId')) webhookId: string,
    @Query() q: DeliveriesQueryDto,
    @Ctx() ctx: RequestContext,
  ): Promise<DeliveryListDto> {
    await this.ownEndpoint(ctx, webhookId);
    const limit = Number(q.limit ?? 100);
    if (limit > 500) throw new FieldException('limit', 'must be a whole number from 1 to 500');
    const rows = await this.dispatcher.deliveries.list(webhookId, {
      failing: (q.failing ?? 'true') === 'true',
      before: q.before === undefined ? null : Number(q.before),
      limit,
    });
    return {
      items: rows.map((d) => ({
        notificationId: d.notificationId,
        sequence: d.sequence,
        kind: d.kind,
        status: d.status,
        attempts: d.attempts,
        nextAttemptAt: d.nextAttemptAt === null ? null : new Date(d.nextAttemptAt).toISOString(),
        lastAttemptAt: d.lastAttemptAt,
        lastStatus: d.lastStatus,
        lastError: d.lastError,
        deliveredAt: d.deliveredAt,
      })),
    };
  }
}
