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
 * Whether, with READ_MODEL_STORE=postgres, a read model lives in PostgreSQL (written by the projectors, read by every
 * API replica): every read model that writes only through ReadModelWrites, which today is all of them.
 */
export const servedFromPostgres = (
  definition: ProjectionDefinition,
): definition is PortableProjectionDefinition => isPortableProjection(definition);
