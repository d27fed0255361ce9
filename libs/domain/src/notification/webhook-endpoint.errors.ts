/** Refusal codes of the webhook-endpoint decider (docs/notifications.md, "Webhooks"). */
export const WEBHOOK_ERROR_CODES = [
  'WEBHOOK_ENDPOINT_NOT_FOUND',
  'WEBHOOK_URL_TAKEN',
  'WEBHOOK_ENDPOINT_LIMIT',
  'WEBHOOK_INVALID',
  'ACTING_INSTITUTION_MISMATCH',
] as const;
export type WebhookErrorCode = (typeof WEBHOOK_ERROR_CODES)[number];
