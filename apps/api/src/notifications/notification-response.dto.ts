import { ApiProperty } from '@nestjs/swagger';
import { NOTIFICATION_KINDS } from '@carepath/domain';
import { WriteResponseDto } from '../common/write-response';

/*
 * The answers of the notification routes as the OpenAPI document describes them (docs/notifications.md).
 */

const nullableId = (description: string) => ApiProperty({ type: String, nullable: true, description });

export class NotificationDto {
  @ApiProperty({
    description: 'Stable id (the event and the recipient): the webhook-id receivers deduplicate on',
  })
  id!: string;

  @ApiProperty({ description: 'Order of projection in this store: the cursor', example: 42 })
  sequence!: number;

  @ApiProperty({ enum: NOTIFICATION_KINDS })
  kind!: string;

  @ApiProperty({ example: 'HOSP-CY-01' })
  institutionId!: string;

  @nullableId('The journey, for referral, proposal and follow-up kinds') journeyId!: string | null;
  @nullableId('The referral, for referral kinds') referralId!: string | null;
  @nullableId('The proposal, for transfer-proposed') proposalId!: string | null;
  @nullableId('The follow-up, for follow-up-owed') followUpId!: string | null;
  @nullableId('The slot block, for slot kinds') blockId!: string | null;
  @nullableId('The booking, for slot kinds') bookingId!: string | null;
  @nullableId('The deadline or due date it is about, when it has one') dueAt!: string | null;

  @ApiProperty({ description: 'The event it was derived from' })
  eventId!: string;

  @ApiProperty({ example: 'UpwardReferralRequested' })
  eventType!: string;

  @ApiProperty({ description: 'Care time of the event' })
  occurredAt!: string;

  @ApiProperty({ description: 'When CarePath recorded the event' })
  recordedAt!: string;
}

export class NotificationFeedDto {
  @ApiProperty({ type: [NotificationDto] })
  items!: NotificationDto[];

  @ApiProperty({
    description: 'Pass as `since` for the next page; the same cursor when nothing is new',
    example: '42',
  })
  next!: string;

  @ApiProperty({ description: 'More notifications wait after `next` now' })
  hasMore!: boolean;
}

export class WebhookHealthDto {
  @ApiProperty({ type: String, nullable: true }) lastSuccessAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastFailureAt!: string | null;
  @ApiProperty({ description: 'Failed attempts since the last success' }) consecutiveFailures!: number;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'HTTP status or network failure of the last failed attempt',
  })
  lastError!: string | null;
  @ApiProperty({ description: 'Deliveries waiting for their next attempt' }) pending!: number;
  @ApiProperty() delivered!: number;
  @ApiProperty({ description: 'Deliveries given up after the configured attempts' }) dead!: number;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) webhookId!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: NOTIFICATION_KINDS, isArray: true, description: 'Empty: every kind' })
  kinds!: string[];
  @ApiProperty({ description: 'Counts the rotations; the secret itself is never shown again' })
  secretVersion!: number;
  @ApiProperty() registeredAt!: string;
  @ApiProperty({ type: WebhookHealthDto }) health!: WebhookHealthDto;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] })
  items!: WebhookDto[];
}

export class WebhookWrittenDto extends WriteResponseDto {
  @ApiProperty({ format: 'uuid' }) webhookId!: string;

  @ApiProperty({
    description: 'The signing secret (whsec_…): shown in this answer only; verify each delivery with it',
  })
  secret!: string;

  @ApiProperty() secretVersion!: number;
}

export class DeliveryDto {
  @ApiProperty({ description: 'The notification (and webhook-id)' }) notificationId!: string;
  @ApiProperty() sequence!: number;
  @ApiProperty({ enum: NOTIFICATION_KINDS }) kind!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'dead', 'cancelled'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) nextAttemptAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastAttemptAt!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: "The receiver's HTTP status" }) lastStatus!:
    number | null;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: String, nullable: true }) deliveredAt!: string | null;
}

export class DeliveryListDto {
  @ApiProperty({ type: [DeliveryDto] })
  items!: DeliveryDto[];
}
