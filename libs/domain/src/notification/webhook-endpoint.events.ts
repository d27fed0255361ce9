import type { DomainEvent } from '../shared/event';

/*
 * An institution's webhook endpoints: one stream per institution, `webhook-endpoints-<institutionId>`
 * (docs/notifications.md, "Webhooks"). No secret is ever written here: the server derives each endpoint's signing
 * secret from a key kept beside the database, the endpoint's id and its secret version, so the log can be exported
 * or replicated without handing anyone a way to forge deliveries.
 */

/** What a notification is about; an endpoint may subscribe to some of them only. */
export const NOTIFICATION_KINDS = [
  'referral-requested',
  'referral-accepted',
  'referral-rejected',
  'referral-redirected',
  'referral-expired',
  'referral-due-soon',
  'referral-escalated',
  'transfer-proposed',
  'follow-up-owed',
  'slot-booked',
  'slot-booking-cancelled',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export type WebhookEndpointRegistered = DomainEvent<
  'WebhookEndpointRegistered',
  {
    endpointId: string;
    institutionId: string;
    url: string;
    /** Empty: every kind. */
    kinds: readonly NotificationKind[];
    secretVersion: number;
  }
>;

export type WebhookSecretRotated = DomainEvent<
  'WebhookSecretRotated',
  { endpointId: string; secretVersion: number }
>;

export type WebhookEndpointRemoved = DomainEvent<'WebhookEndpointRemoved', { endpointId: string }>;

export type WebhookEndpointEvent = WebhookEndpointRegistered | WebhookSecretRotated | WebhookEndpointRemoved;
export type WebhookEndpointEventType = WebhookEndpointEvent['type'];

export const WEBHOOK_ENDPOINT_EVENT_TYPES: readonly WebhookEndpointEventType[] = [
  'WebhookEndpointRegistered',
  'WebhookSecretRotated',
  'WebhookEndpointRemoved',
];

export const WEBHOOK_ENDPOINTS_PREFIX = 'webhook-endpoints-';
export const webhookEndpointsStreamId = (institutionId: string): string =>
  `${WEBHOOK_ENDPOINTS_PREFIX}${institutionId}`;
