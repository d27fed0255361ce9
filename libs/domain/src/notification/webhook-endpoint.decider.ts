import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { RecordedDomainEvent } from '../shared/event';
import type { WebhookEndpointCommand } from './webhook-endpoint.commands';
import {
  NOTIFICATION_KINDS,
  type NotificationKind,
  WEBHOOK_ENDPOINT_EVENT_TYPES,
  type WebhookEndpointEvent,
} from './webhook-endpoint.events';

/*
 * An institution's webhook endpoints (docs/notifications.md, "Webhooks"). The stream belongs to one institution, and
 * only that institution acts on it: another institution's staff can neither see nor remove its endpoints.
 */

export interface WebhookEndpoint {
  readonly endpointId: string;
  readonly institutionId: string;
  readonly url: string;
  /** Empty: every kind. */
  readonly kinds: readonly NotificationKind[];
  readonly secretVersion: number;
  readonly registeredAt: string;
  /** Care time of the removal; null while it receives deliveries. */
  readonly removedAt: string | null;
}

export interface WebhookEndpointsState {
  readonly institutionId: string | null;
  readonly endpoints: Readonly<Record<string, WebhookEndpoint>>;
}

export const initialWebhookEndpointsState = (): WebhookEndpointsState => ({
  institutionId: null,
  endpoints: {},
});

/** A receiving system needs a handful (production, staging, a screen gateway); more is a misconfiguration. */
export const MAX_WEBHOOK_ENDPOINTS = 10;
const MAX_URL_LENGTH = 2048;

export const activeEndpoints = (state: WebhookEndpointsState): WebhookEndpoint[] =>
  Object.values(state.endpoints).filter((e) => e.removedAt === null);

function endpointOf(state: WebhookEndpointsState, endpointId: string): WebhookEndpoint {
  const endpoint = Object.hasOwn(state.endpoints, endpointId) ? state.endpoints[endpointId] : undefined;
  if (!endpoint || endpoint.removedAt !== null) {
    throw new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', 'No such webhook endpoint.', { endpointId });
  }
  return endpoint;
}

export function decideWebhookEndpoints(
  command: WebhookEndpointCommand,
  state: WebhookEndpointsState,
): WebhookEndpointEvent[] {
  const acting = command.metadata.institutionId;
  if (state.institutionId !== null && state.institutionId !== acting) {
    throw new DomainError(
      'ACTING_INSTITUTION_MISMATCH',
      'Only the institution itself manages its endpoints.',
      {
        actingInstitutionId: acting,
      },
    );
  }
  switch (command.type) {
    case 'RegisterWebhookEndpoint': {
      const { endpointId, url } = command.data;
      if (url.length === 0 || url.length > MAX_URL_LENGTH || /\s/.test(url)) {
        throw new DomainError(
          'WEBHOOK_INVALID',
          `The URL must be 1 to ${MAX_URL_LENGTH} characters, no spaces.`,
          {
            field: 'url',
          },
        );
      }
      const kinds = [...new Set(command.data.kinds)];
      const unknown = kinds.find((k) => !(NOTIFICATION_KINDS as readonly string[]).includes(k));
      if (unknown !== undefined) {
        throw new DomainError('WEBHOOK_INVALID', `${unknown} is not a notification kind.`, {
          field: 'kinds',
        });
      }
      if (Object.hasOwn(state.endpoints, endpointId)) {
        throw new DomainError('WEBHOOK_INVALID', 'This endpoint id is taken.', { endpointId });
      }
      const active = activeEndpoints(state);
      const taken = active.find((e) => e.url === url);
      if (taken) {
        throw new DomainError('WEBHOOK_URL_TAKEN', 'An endpoint with this URL is registered already.', {
          endpointId: taken.endpointId,
        });
      }
      if (active.length >= MAX_WEBHOOK_ENDPOINTS) {
        throw new DomainError(
          'WEBHOOK_ENDPOINT_LIMIT',
          `An institution registers at most ${MAX_WEBHOOK_ENDPOINTS} endpoints.`,
          { limit: MAX_WEBHOOK_ENDPOINTS },
        );
      }
      return [
        {
          type: 'WebhookEndpointRegistered',
          data: { endpointId, institutionId: acting, url, kinds, secretVersion: 1 },
        },
      ];
    }
    case 'RotateWebhookSecret': {
      const endpoint = endpointOf(state, command.data.endpointId);
      return [
        {
          type: 'WebhookSecretRotated',
          data: { endpointId: endpoint.endpointId, secretVersion: endpoint.secretVersion + 1 },
        },
      ];
    }
    case 'RemoveWebhookEndpoint': {
      const endpoint = endpointOf(state, command.data.endpointId);
      return [{ type: 'WebhookEndpointRemoved', data: { endpointId: endpoint.endpointId } }];
    }
  }
}

export function evolveWebhookEndpoints(
  state: WebhookEndpointsState,
  event: RecordedDomainEvent<WebhookEndpointEvent>,
): WebhookEndpointsState {
  switch (event.type) {
    case 'WebhookEndpointRegistered': {
      const d = event.data;
      return {
        institutionId: d.institutionId,
        endpoints: {
          ...state.endpoints,
          [d.endpointId]: {
            endpointId: d.endpointId,
            institutionId: d.institutionId,
            url: d.url,
            kinds: d.kinds,
            secretVersion: d.secretVersion,
            registeredAt: event.metadata.occurredAt,
            removedAt: null,
          },
        },
      };
    }
    case 'WebhookSecretRotated':
      return changed(state, event.data.endpointId, { secretVersion: event.data.secretVersion });
    case 'WebhookEndpointRemoved':
      return changed(state, event.data.endpointId, { removedAt: event.metadata.occurredAt });
  }
}

/** The state with one endpoint changed (one it does not know: unchanged, as the decider never writes that). */
function changed(
  state: WebhookEndpointsState,
  endpointId: string,
  change: Partial<WebhookEndpoint>,
): WebhookEndpointsState {
  const endpoint = Object.hasOwn(state.endpoints, endpointId) ? state.endpoints[endpointId] : undefined;
  if (!endpoint) return state;
  return { ...state, endpoints: { ...state.endpoints, [endpointId]: { ...endpoint, ...change } } };
}

export const webhookEndpointsDecider: Decider<
  WebhookEndpointCommand,
  WebhookEndpointEvent,
  WebhookEndpointsState
> = {
  initialState: initialWebhookEndpointsState,
  decide: decideWebhookEndpoints,
  evolve: evolveWebhookEndpoints,
  eventTypes: WEBHOOK_ENDPOINT_EVENT_TYPES,
};
