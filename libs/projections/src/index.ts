export * from './model/care-calendar';
export * from './model/facts';
export * from './model/period.model';
export * from './model/ward-occupancy.model';
export * from './model/referral-volume.model';
export * from './model/local-treatment.model';
export * from './model/journey-rows.model';
export * from './model/journey-timeline.model';
export * from './runtime/projection';
export * from './runtime/read-model-files';
export * from './runtime/projection-runner';
export * from './runtime/journey-projection';
export * from './runtime/rebuild-projections';
export * from './ward-occupancy/ward-occupancy.projection';
export * from './ward-occupancy/ward-occupancy.query';
export * from './referral-volume/referral-volume.projection';
export * from './referral-volume/referral-volume.query';
export * from './local-treatment/local-treatment.projection';
export * from './local-treatment/local-treatment.query';
export * from './worklist/worklist.projection';
export * from './worklist/worklist.query';

import { localTreatmentProjection } from './local-treatment/local-treatment.projection';
import { referralVolumeProjection } from './referral-volume/referral-volume.projection';
import { wardOccupancyProjection } from './ward-occupancy/ward-occupancy.projection';
import { worklistProjection } from './worklist/worklist.projection';

/** Every read model CarePath serves, in the order they are started. */
export const ALL_PROJECTIONS = [
  wardOccupancyProjection,
  referralVolumeProjection,
  localTreatmentProjection,
  worklistProjection,
];
