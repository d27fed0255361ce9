/** Refusal codes of the region population decider (docs/family-doctors.md, "Coverage"); all are rules (422). */
export const POPULATION_ERROR_CODES = ['POPULATION_INVALID', 'POPULATION_REGION_MISMATCH'] as const;
export type PopulationErrorCode = (typeof POPULATION_ERROR_CODES)[number];
