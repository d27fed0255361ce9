import {
  isPortableProjection,
  type PortableProjectionDefinition,
  type ProjectionDefinition,
} from './runtime/projection';
import { careProcessesProjection } from './care-processes/care-processes.projection';
import { familyDoctorProjection } from './family-doctor/family-doctor.projection';
import { notificationsProjection } from './notifications/notifications.projection';
import { localTreatmentProjection } from './local-treatment/local-treatment.projection';
import { referralVolumeProjection } from './referral-volume/referral-volume.projection';
import { slotPoolProjection } from './slot-pool/slot-pool.projection';
import { wardOccupancyProjection } from './ward-occupancy/ward-occupancy.projection';
import { worklistProjection } from './worklist/worklist.projection';

/** Every read model CarePath serves, in the order they are started. */
export const ALL_PROJECTIONS = [
  wardOccupancyProjection,
  referralVolumeProjection,
  localTreatmentProjection,
  worklistProjection,
  familyDoctorProjection,
  slotPoolProjection,
  notificationsProjection,
  careProcessesProjection,
];

/**
 * Read models every API process keeps beside itself, even with READ_MODEL_STORE=postgres: the notifications, which
 * the notification streams and the webhook dispatcher read synchronously, in loops of their own, from an embedded
 * file. Each API projects them from the shared log, so every replica holds the same rows. The process manager's
 * timers (care-processes) are read asynchronously and live in PostgreSQL with the rest, one copy for every replica.
 */
export const API_LOCAL_PROJECTIONS: readonly string[] = ['notifications'];

/** Whether, with READ_MODEL_STORE=postgres, a read model lives in PostgreSQL (written by the projectors). */
export const servedFromPostgres = (
  definition: ProjectionDefinition,
): definition is PortableProjectionDefinition =>
  isPortableProjection(definition) && !API_LOCAL_PROJECTIONS.includes(definition.name);
