import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { NOTIFICATION_KINDS, type NotificationKind } from '@carepath/domain';

/** A sequence number as the feed gives it (`next`, an event's id): digits only, at most 15 of them. */
const SEQUENCE = /^\d{1,15}$/;
const LIMIT = /^([1-9]\d{0,2})$/;

export class NotificationFeedQueryDto {
  @ApiPropertyOptional({
    description: 'The `next` of the previous page (or 0): notifications numbered after it',
    example: '0',
  })
  @IsOptional()
  @Matches(SEQUENCE, { message: 'since must be a cursor the feed gave (digits)' })
  since?: string;

  @ApiPropertyOptional({ description: 'Page size, 1 to 500 (default 100)', example: '100' })
  @IsOptional()
  @Matches(LIMIT, { message: 'limit must be a whole number from 1 to 500' })
  limit?: string;
}

export class NotificationStreamQueryDto {
  @ApiPropertyOptional({
    description:
      'Start after this notification (as Last-Event-ID does, which wins when both are sent); default: only new ones',
  })
  @IsOptional()
  @Matches(SEQUENCE, { message: 'since must be a cursor the feed gave (digits)' })
  since?: string;
}

export class RegisterWebhookDto {
  @ApiProperty({
    description:
      'https URL (http only for localhost, or where WEBHOOK_ALLOW_HTTP=true); no user or password in it',
    example: 'https://his.hospital.example/carepath/webhooks',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  // Printable ASCII without spaces: a URL parser would drop a tab or a newline silently (IDN hosts in punycode).
  @Matches(/^[\x21-\x7e]+$/, { message: 'url must be printable ASCII without spaces' })
  url!: string;

  @ApiPropertyOptional({
    enum: NOTIFICATION_KINDS,
    isArray: true,
    description: 'Only these kinds (default: every kind)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(NOTIFICATION_KINDS.length)
  @IsIn(NOTIFICATION_KINDS, {
    each: true,
    message: `each value in kinds must be one of ${NOTIFICATION_KINDS.join(', ')}`,
  })
  kinds?: NotificationKind[];
}

export class DeliveriesQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'Only deliveries whose last attempt failed (pending a retry, or dead); default true',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'failing must be true or false' })
  failing?: 'true' | 'false';

  @ApiPropertyOptional({ description: 'Deliveries of notifications numbered before this (paging back)' })
  @IsOptional()
  @Matches(SEQUENCE, { message: 'before must be a notification sequence (digits)' })
  before?: string;

  @ApiPropertyOptional({ description: 'Page size, 1 to 500 (default 100)' })
  @IsOptional()
  @Matches(LIMIT, { message: 'limit must be a whole number from 1 to 500' })
  limit?: string;
}
