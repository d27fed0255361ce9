import type { CommandMetadata } from '../shared/event';
import type { NotificationKind } from './webhook-endpoint.events';

type Command<Type extends string, Data extends object> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata: CommandMetadata;
}>;

/**
 * The shell checks the URL's form and scheme against its configuration (https, or http where allowed) and mints
 * the id; the decider checks what depends on the stream (duplicates, the limit) and who acts.
 */
export type RegisterWebhookEndpoint = Command<
  'RegisterWebhookEndpoint',
  { endpointId: string; url: string; kinds: readonly NotificationKind[] }
>;
export type RotateWebhookSecret = Command<'RotateWebhookSecret', { endpointId: string }>;
export type RemoveWebhookEndpoint = Command<'RemoveWebhookEndpoint', { endpointId: string }>;

export type WebhookEndpointCommand = RegisterWebhookEndpoint | RotateWebhookSecret | RemoveWebhookEndpoint;
