import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { endpointSecret, loadOrCreateWebhookKey, signDelivery, webhookKeyFileFor } from './webhook-signing';

/** The server's webhook key, read (or created) once at start-up, and the secrets and signatures made from it. */
@Injectable()
export class WebhookSecrets {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = loadOrCreateWebhookKey(config.webhookSigningKeyFile ?? webhookKeyFileFor(config.databaseFile));
  }

  secretOf(endpointId: string, secretVersion: number): string {
    return endpointSecret(this.key, endpointId, secretVersion);
  }

  sign(secret: string, id: string, timestamp: number, body: string): string {
    return signDelivery(secret, id, timestamp, body);
  }
}
