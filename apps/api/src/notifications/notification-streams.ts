import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { queryNotifications } from '@carepath/projections';
import type { AppConfig } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { ProjectionsService } from '../projections/projections.service';
import { notificationBody } from './notification-body';
import { NotificationWatch } from './notification-watch';

/** A screen that stops reading is dropped past this much unsent text; it reconnects with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;
const PAGE = 200;

/**
 * The open server-sent-event streams (docs/notifications.md, "Event stream"): each sends its institution's
 * notifications after its cursor as the read model gets them, a comment line when idle, and is ended when the app
 * shuts down (before the HTTP server waits for its connections to close).
 */
@Injectable()
export class NotificationStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly projections: ProjectionsService,
    private readonly watch: NotificationWatch,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  beforeApplicationShutdown(): void {
    for (const end of [...this.open]) end();
  }

  /** Streams `institutionId`'s notifications numbered after `cursor` to `raw` until either side ends it. */
  serve(raw: ServerResponse, institutionId: string, cursor: number): void {
    let ended = false;
    /** The read under way, if any; a change heard meanwhile reads again once it is done. */
    let sending: Promise<void> | null = null;
    let again = false;
    const readNew = async () => {
      try {
        for (;;) {
          const rows = await queryNotifications(
            this.projections.sql('notifications'),
            institutionId,
            cursor,
            PAGE,
          );
          if (ended) return;
          for (const row of rows) {
            raw.write(
              `id: ${row.sequence}\nevent: notification\ndata: ${JSON.stringify(notificationBody(row))}\n\n`,
            );
            cursor = row.sequence;
          }
          if (rows.length < PAGE) break;
        }
      } catch {
        // Read model unavailable for now (under repair): the next change tries again.
      }
      if (raw.writableLength > MAX_BUFFERED_BYTES) end();
    };
    // Reads never overlap: two at once could both send the rows after the same cursor.
    const send = () => {
      if (ended) return;
      if (sending) {
        again = true;
        return;
      }
      sending = (async () => {
        do {
          again = false;
          await readNew();
        } while (again && !ended);
      })().finally(() => {
        sending = null;
      });
    };
    const heartbeat = setInterval(() => {
      if (!ended) raw.write(': heartbeat\n\n');
    }, this.config.notifications.heartbeatMs);
    heartbeat.unref();
    const unsubscribe = this.watch.subscribe(send);
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      this.open.delete(end);
      if (!raw.writableEnded) raw.end();
    };
    this.open.add(end);
    raw.on('close', end);
    send();
  }
}
