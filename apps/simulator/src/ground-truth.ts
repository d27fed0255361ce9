import type { Plan } from './simulation.plan';

/*
 * What the simulator knows to be true, computed from its plan alone with its own arithmetic (not CarePath's): the
 * oracle the projections must match exactly.
 */
export interface GroundTruth {
  readonly referrals: {
    readonly up: number;
    readonly down: number;
    readonly upAccepted: number;
    readonly upRejected: number;
    readonly upCancelled: number;
  };
  /** All visits are by the region's residents; `inRegion` counts those made inside the region. */
  readonly visits: {
    readonly total: number;
    readonly community: number;
    readonly outpatient: number;
    readonly communityOutpatient: number;
    readonly inRegion: number;
  };
  /** Occupied bed-days by midnight census (Beijing), per ward "institution/ward" and month "YYYY-MM". */
  readonly bedDays: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

const DAY = 86_400_000;
const OFFSET = 8 * 3_600_000;

/** Beijing calendar date of an instant; China has kept UTC+8 without daylight time since 1991. */
const localDay = (ms: number) => Math.floor((ms + OFFSET) / DAY);
const monthOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 7);

function addStay(
  bedDays: Record<string, Record<string, number>>,
  ward: string,
  from: number,
  to: number,
): void {
  const months = (bedDays[ward] ??= {});
  const first = localDay(from);
  const last = localDay(to);
  // A stay begun and ended on one day counts one bed-day on that day (domain.md).
  if (first === last) {
    months[monthOf(first)] = (months[monthOf(first)] ?? 0) + 1;
    return;
  }
  // Otherwise one bed-day for each midnight in the bed: the nights of first .. last - 1.
  for (let day = first; day < last; day++) months[monthOf(day)] = (months[monthOf(day)] ?? 0) + 1;
}

export function groundTruth(plan: Plan): GroundTruth {
  const bedDays: Record<string, Record<string, number>> = {};
  let up = 0;
  let down = 0;
  let upAccepted = 0;
  let upRejected = 0;
  let upCancelled = 0;
  let visits = 0;
  let community = 0;
  let outpatient = 0;
  let communityOutpatient = 0;
  let inRegion = 0;
  for (const j of plan.journeys) {
    if (j.kind === 'visit') {
      visits++;
      outpatient++;
      if (j.community) {
        community++;
        communityOutpatient++;
      }
      if (j.inRegion) inRegion++;
      continue;
    }
    if (j.kind === 'up') {
      up++;
      visits++;
      community++;
      outpatient++;
      communityOutpatient++;
      inRegion++;
      if (j.outcome === 'admitted') {
        upAccepted++;
        addStay(bedDays, `${j.hospital}/general`, j.admittedAt, j.dischargedAt);
      } else if (j.outcome === 'rejected') upRejected++;
      else upCancelled++;
    } else {
      down++;
      visits++;
      inRegion++;
      addStay(bedDays, `${j.hospital}/general`, j.hospitalAdmittedAt, j.hospitalDischargedAt);
      addStay(bedDays, `${j.community}/rehab`, j.communityAdmittedAt, j.communityDischargedAt);
    }
  }
  return {
    referrals: { up, down, upAccepted, upRejected, upCancelled },
    visits: { total: visits, community, outpatient, communityOutpatient, inRegion },
    bedDays,
  };
}
