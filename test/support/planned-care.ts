import {
  DEFAULT_PLAN_OPTIONS,
  type Plan,
  type PlannedReferral,
  type PlannedStay,
  PRESETS,
} from '../../apps/simulator/src/simulation.plan';

/*
 * Hand-made parts of a simulation plan for the simulator's specs: a stay or a referral recorded as it happened
 * (nothing late, nothing wrong first) unless the spec says otherwise, and a plan of the Chaoyang 2023 preset.
 */
export const plannedStay = (
  stay: Pick<PlannedStay, 'name' | 'institutionId' | 'wardId' | 'admittedAt' | 'dischargedAt'> &
    Partial<PlannedStay>,
): PlannedStay => ({
  referral: null,
  moves: [],
  leave: null,
  surgeryAt: null,
  rehabAt: [],
  disposition: 'home',
  destination: null,
  recordedAdmittedAt: null,
  recordedDischargedAt: null,
  recordedLeave: null,
  wrongWardFirst: null,
  wrongDischargeAt: null,
  lateDischargeBy: 0,
  wholeEnteredAt: null,
  surgeryEnteredAt: null,
  movesEnteredAt: null,
  ...stay,
});

export const plannedReferral = (
  referral: Pick<
    PlannedReferral,
    'name' | 'direction' | 'from' | 'to' | 'priority' | 'setting' | 'requestedAt' | 'decision' | 'end'
  > &
    Partial<PlannedReferral>,
): PlannedReferral => ({
  redirectedFrom: null,
  receivedAt: null,
  wrongTargetFirst: null,
  ...referral,
});

export const chaoyangPlan = (
  parts: Pick<Plan, 'institutions' | 'journeys' | 'months' | 'familyDoctors'>,
): Plan => ({
  preset: PRESETS['chaoyang-2023']!,
  scale: 1,
  seed: 1,
  options: DEFAULT_PLAN_OPTIONS,
  ...parts,
});
