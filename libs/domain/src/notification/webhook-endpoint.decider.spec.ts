import { deciderSpec, specMetadata } from '../testing/decider-spec';
import type { WebhookEndpointCommand } from './webhook-endpoint.commands';
import { MAX_WEBHOOK_ENDPOINTS, webhookEndpointsDecider } from './webhook-endpoint.decider';
import type { WebhookEndpointEvent } from './webhook-endpoint.events';

const given = deciderSpec(webhookEndpointsDecider);
const at = (institutionId = 'HOSP-CY-01') => specMetadata({ institutionId, actorRole: 'admin' });
const register = (endpointId: string, url: string, institutionId?: string): WebhookEndpointCommand => ({
  type: 'RegisterWebhookEndpoint',
  metadata: at(institutionId),
  data: { endpointId, url, kinds: [] },
});
const registered = (endpointId: string, url: string): WebhookEndpointEvent => ({
  type: 'WebhookEndpointRegistered',
  data: { endpointId, institutionId: 'HOSP-CY-01', url, kinds: [], secretVersion: 1 },
});

describe('webhook endpoints decider', () => {
  it('given no endpoints, when one is registered, then it starts at secret version 1 with its kinds once each', () => {
    given()
      .when({
        type: 'RegisterWebhookEndpoint',
        metadata: at(),
        data: {
          endpointId: 'ep-1',
          url: 'https://his.example/hooks',
          kinds: ['referral-requested', 'referral-requested', 'slot-booked'],
        },
      })
      .then([
        {
          type: 'WebhookEndpointRegistered',
          data: {
            endpointId: 'ep-1',
            institutionId: 'HOSP-CY-01',
            url: 'https://his.example/hooks',
            kinds: ['referral-requested', 'slot-booked'],
            secretVersion: 1,
          },
        },
      ]);
  });

  it('given an endpoint, when the same URL is registered again, then WEBHOOK_URL_TAKEN', () => {
    given([registered('ep-1', 'https://his.example/hooks')])
      .when(register('ep-2', 'https://his.example/hooks'))
      .thenFails('WEBHOOK_URL_TAKEN');
  });

  it('given the limit reached, when another is registered, then WEBHOOK_ENDPOINT_LIMIT', () => {
    const full = Array.from({ length: MAX_WEBHOOK_ENDPOINTS }, (_, i) =>
      registered(`ep-${i}`, `https://his.example/${i}`),
    );
    given(full).when(register('ep-x', 'https://his.example/x')).thenFails('WEBHOOK_ENDPOINT_LIMIT');
  });

  it('given an unknown kind, when registered, then WEBHOOK_INVALID', () => {
    given()
      .when({
        type: 'RegisterWebhookEndpoint',
        metadata: at(),
        data: { endpointId: 'ep-1', url: 'https://his.example/h', kinds: ['nonsense' as never] },
      })
      .thenFails('WEBHOOK_INVALID');
  });

  it("given another institution's stream, when it acts on it, then ACTING_INSTITUTION_MISMATCH", () => {
    given([registered('ep-1', 'https://his.example/hooks')])
      .when(register('ep-2', 'https://other.example/hooks', 'CHC-CY-01'))
      .thenFails('ACTING_INSTITUTION_MISMATCH');
  });

  it('given an endpoint, when its secret is rotated twice, then the version counts up', () => {
    const rotate: WebhookEndpointCommand = {
      type: 'RotateWebhookSecret',
      metadata: at(),
      data: { endpointId: 'ep-1' },
    };
    given([
      registered('ep-1', 'https://his.example/hooks'),
      { type: 'WebhookSecretRotated', data: { endpointId: 'ep-1', secretVersion: 2 } },
    ])
      .when(rotate)
      .then([{ type: 'WebhookSecretRotated', data: { endpointId: 'ep-1', secretVersion: 3 } }]);
  });

  it('given a removed endpoint, when removed or rotated again, then WEBHOOK_ENDPOINT_NOT_FOUND, and its URL is free', () => {
    const past = [
      registered('ep-1', 'https://his.example/hooks'),
      { type: 'WebhookEndpointRemoved', data: { endpointId: 'ep-1' } } as const,
    ];
    given(past)
      .when({ type: 'RemoveWebhookEndpoint', metadata: at(), data: { endpointId: 'ep-1' } })
      .thenFails('WEBHOOK_ENDPOINT_NOT_FOUND');
    given(past)
      .when({ type: 'RotateWebhookSecret', metadata: at(), data: { endpointId: 'ep-1' } })
      .thenFails('WEBHOOK_ENDPOINT_NOT_FOUND');
    expect(given(past).when(register('ep-2', 'https://his.example/hooks')).events()).toHaveLength(1);
  });
});
