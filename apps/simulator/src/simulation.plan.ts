import { followUpOwed, referralDeadline } from './care-rules';
import { type FamilyDoctorPlan, type FamilyDoctorPreset, planFamilyDoctors } from './family-doctor.plan';

/*
 * The simulator's plan: a deterministic city (institutions, wards) and the journeys its residents make over a
 * period, drawn from a seeded generator. The plan is data: what really happened in care (true times, outcomes)
 * plus how it was recorded (late entries, wrong values later corrected, entries later marked entered-in-error).
 * The script turns it into real commands; the ground truth is computed from the plan alone, never from
 * CarePath's read models (it is the oracle for them).
 */
export interface Preset {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly regionCode: string;
  readonly communityCentres: number;
  /** Medical alliances, each led by one tertiary hospital (with one secondary hospital as a member). */
  readonly hospitals: number;
  /** Per year at scale 1 (docs/domain.md, "Figures from the source articles"). */
  readonly upwardReferrals: number;
  readonly downwardReferrals: number;
  readonly communityBeds: number;
  readonly hospitalBedsPerWard: number;
  /** Outpatient visits by the region's residents over the period at scale 1 (visit-only journeys). */
  readonly outpatientVisits: number;
  /** Share of those visits made at community centres (e.g. Shanghai H1 2024: 38.9%). */
  readonly residentsCommunityShare: number;
  /** Share of those visits made inside the region (e.g. a county medical community's 90% target). */
  readonly inRegionRate: number;
  /** Family doctors signing residents and booking specialist slots released downward (issue 19), if any. */
  readonly familyDoctors?: FamilyDoctorPreset;
}

/** Chaoyang district (Beijing), 2023: 52 community centres, 4 urban medical groups led by tertiary hospitals,
 *  60,156 upward and 114,696 downward transfers, 1,018 community beds (docs/domain.md, "Figures from the source
 *  articles"). */
export const PRESETS: Readonly<Record<string, Preset>> = {
  'chaoyang-2023': {
    name: 'chaoyang-2023',
    from: '2023-01-01',
    to: '2024-01-01',
    regionCode: '110105',
    communityCentres: 52,
    hospitals: 4,
    upwardReferrals: 60_156,
    downwardReferrals: 114_696,
    communityBeds: 1_018,
    hospitalBedsPerWard: 200,
    outpatientVisits: 0,
    residentsCommunityShare: 0,
    inRegionRate: 1,
  },
  /** Shanghai, first half of 2024: 248 community centres; community visits were 38.9% of residents' outpatient
   *  visits (38.851 M, docs/domain.md, "Figures from the source articles"), so about 99.9 M outpatient visits in
   *  all. No referral figures are quoted. */
  'shanghai-h1-2024': {
    name: 'shanghai-h1-2024',
    from: '2024-01-01',
    to: '2024-07-01',
    regionCode: '310000',
    communityCentres: 248,
    hospitals: 4,
    upwardReferrals: 0,
    downwardReferrals: 0,
    communityBeds: 248 * 20,
    hospitalBedsPerWard: 200,
    outpatientVisits: Math.round(38_851_000 / 0.389),
    residentsCommunityShare: 0.389,
    inRegionRate: 1,
  },
  /** Zhaohua (Guangyuan, Sichuan), a county medical community aiming at 90% in-county treatment (docs/domain.md,
   *  "Figures from the source articles"). The visit volume is an assumption (1 M a year at scale 1); the sources
   *  give rates, not counts. */
  'zhaohua-county': {
    name: 'zhaohua-county',
    from: '2023-01-01',
    to: '2024-01-01',
    regionCode: '510811',
    communityCentres: 20,
    hospitals: 1,
    upwardReferrals: 0,
    downwardReferrals: 0,
    communityBeds: 400,
    hospitalBedsPerWard: 200,
    outpatientVisits: 1_000_000,
    residentsCommunityShare: 0.6,
    inRegionRate: 0.9,
  },
  /** Minhang district (Shanghai), 12 April to 21 July 2024: 14 community centres booked 9,486 specialist slots;
   *  62.5% of the people booked were signed hypertension or diabetes patients, 77.4% were 60 or older; signing at
   *  44.87% coverage, 98.98% for key groups (docs/domain.md, "Specialist slots" and "Figures from the source
   *  articles"). The hospitals publishing slots (two alliances) and the catchment behind the signing are
   *  assumptions; the preset has no referrals and no visits. */
  'minhang-2024': {
    name: 'minhang-2024',
    from: '2024-04-12',
    to: '2024-07-21',
    regionCode: '310112',
    communityCentres: 14,
    hospitals: 2,
    upwardReferrals: 0,
    downwardReferrals: 0,
    communityBeds: 14 * 20,
    hospitalBedsPerWard: 200,
    outpatientVisits: 0,
    residentsCommunityShare: 0,
    inRegionRate: 1,
    familyDoctors: {
      bookings: 9_486,
      chronicShare: 0.625,
      age60Share: 0.774,
      coverage: 0.4487,
      keyGroupCoverage: 0.9898,
      residents: 28_000,
      keyGroupResidentShare: 0.245,
    },
  },
};

/** The hospital outside the region that residents also use (counted out of region). */
export const OUTSIDE_HOSPITAL = 'SIM-OUT-1';
/** The other region: where the outside hospital is, and where the visitors who come into the region live. */
export const OUTSIDE_REGION = '999999';

export type Tier = 'community' | 'secondary' | 'tertiary';
export type VisitType = 'outpatient' | 'emergency';
export type Priority = 'routine' | 'urgent' | 'green-channel';
export type Setting = 'outpatient' | 'inpatient';
export type RejectReason =
  'capacity-full' | 'not-indicated' | 'incomplete-information' | 'service-unavailable';

export interface PlannedWard {
  readonly wardId: string;
  readonly beds: number;
  /** A change of open beds during the period (open bed-days follow it), or null. */
  readonly bedChange: { readonly at: number; readonly beds: number } | null;
}

export interface PlannedInstitution {
  readonly institutionId: string;
  readonly name: string;
  readonly tier: Tier;
  readonly allianceId: string;
  readonly regionCode: string;
  readonly wards: readonly PlannedWard[];
}

/** Times are epoch milliseconds; "recorded" fields say how the record differed from what happened. */
export interface PlannedVisit {
  readonly institutionId: string;
  readonly visitType: VisitType;
  readonly at: number;
  /** The referral this visit answers (specialist or rehab visit), by its name in the journey. */
  readonly referral: string | null;
  /** Recorded first with these values, then corrected to the true ones. */
  readonly recordedAs: { readonly at: number; readonly visitType: VisitType } | null;
  /** Recorded twice by mistake; the copy is then entered in error (duplicate-entry). */
  readonly duplicated: boolean;
  /** A late entry: recorded this long after it happened (0: recorded as it happened). */
  readonly lateBy: number;
}

export type Decision =
  | { readonly kind: 'accepted'; readonly at: number; readonly rejectedInErrorFirst: boolean }
  | { readonly kind: 'rejected'; readonly at: number; readonly reason: RejectReason }
  /** A capacity rejection naming another member of the receiver's alliance (docs/domain.md, "Referral workflow
   *  states"). */
  | { readonly kind: 'redirected'; readonly at: number; readonly to: string };

export interface PlannedReferral {
  readonly name: string;
  readonly direction: 'up' | 'down';
  readonly from: string;
  readonly to: string;
  readonly priority: Priority;
  readonly setting: Setting;
  readonly requestedAt: number;
  /** Name of the referral whose redirect created this one (it is then not requested separately). */
  readonly redirectedFrom: string | null;
  readonly receivedAt: number | null;
  readonly decision: Decision | null;
  /**
   * Completed by the receiver; cancelled by the requester; expired: nobody decided by the deadline, and CarePath's
   * deadline process expires it then (`at` is the deadline, care-rules.ts; the script sends nothing for it).
   */
  readonly end: { readonly kind: 'completed' | 'cancelled' | 'expired'; readonly at: number } | null;
  /** Requested first to this institution by mistake, and entered in error just before the real request. */
  readonly wrongTargetFirst: string | null;
}

export interface PlannedStay {
  readonly name: string;
  readonly institutionId: string;
  readonly wardId: string;
  readonly referral: string | null;
  readonly admittedAt: number;
  readonly moves: readonly { readonly at: number; readonly wardId: string }[];
  /** Away with the bed held (sequential ward, 序贯病房), from .. to (null: still away at the period's end). */
  readonly leave: { readonly from: number; readonly to: number | null } | null;
  readonly surgeryAt: number | null;
  readonly rehabAt: readonly number[];
  /** Null: still in hospital at the end of the period (the stay is open). */
  readonly dischargedAt: number | null;
  readonly disposition: 'home' | 'rehab';
  readonly destination: string | null;
  /** Admission or discharge recorded at a wrong time first, then corrected. */
  readonly recordedAdmittedAt: number | null;
  readonly recordedDischargedAt: number | null;
  /** Leave recorded with these times first, then corrected. */
  readonly recordedLeave: { readonly from: number; readonly to: number } | null;
  /** Admitted to this other ward by mistake first (entered in error), then admitted where the patient went. */
  readonly wrongWardFirst: string | null;
  /** Discharged by mistake at this time first (entered in error): the patient stayed on. */
  readonly wrongDischargeAt: number | null;
  /** A late entry: the discharge is recorded this long after it happened (0: as it happened). */
  readonly lateDischargeBy: number;
  /**
   * Late entries typed in after the discharge they precede (issue 16), each the instant it is entered; null: entered
   * as care happened. The whole stay at once (its admission with its discharge, then its moves, surgery and rehab
   * sessions) after the discharge of a later stay of the journey, as a stay at another hospital is recorded weeks
   * later; the surgery, or the ward moves, after the stay's own discharge, as a surgery note typed in the day after.
   */
  readonly wholeEnteredAt: number | null;
  readonly surgeryEnteredAt: number | null;
  readonly movesEnteredAt: number | null;
}

export type JourneyShape = 'visit' | 'visitor' | 'up' | 'down' | 'sequential';

export interface PlannedJourney {
  readonly shape: JourneyShape;
  readonly patientId: string;
  readonly residenceRegion: string;
  /** visits[0] opens the journey. */
  readonly visits: readonly PlannedVisit[];
  readonly referrals: readonly PlannedReferral[];
  readonly stays: readonly PlannedStay[];
  readonly closedAt: number | null;
}

/** How the plan is recorded, beyond the preset's figures. */
export interface PlanOptions {
  /**
   * The share of surgeries, of ward moves, and of stays followed by the discharge of another stay of the journey,
   * that are entered after that discharge (late entries, issue 16); 0 to 1. Late entries change when facts are
   * recorded, never what happened, so the ground truth does not depend on it.
   */
  readonly lateShare: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = { lateShare: 0.1 };

export interface Plan {
  readonly preset: Preset;
  readonly scale: number;
  readonly seed: number;
  readonly options: PlanOptions;
  readonly institutions: readonly PlannedInstitution[];
  readonly journeys: readonly PlannedJourney[];
  /** Months "YYYY-MM" from the first to the last month anything happens in (the figures' range). */
  readonly months: readonly string[];
  /** Contracts, population and slot bookings, for a preset with family doctors; null otherwise. */
  readonly familyDoctors: FamilyDoctorPlan | null;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** Beijing time; China has kept UTC+8 without daylight time since 1991. */
export const UTC8 = 8 * HOUR;

/** The Beijing calendar day (days since 1970-01-01) of an instant, and the "YYYY-MM" of such a day. */
export const localDay = (ms: number) => Math.floor((ms + UTC8) / DAY);
/** The first Beijing midnight (00:00) at or after `ms`. */
const nextMidnight = (ms: number) => Math.ceil((ms + UTC8) / DAY) * DAY - UTC8;
export const monthOfDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 7);

function generator(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Headline counts the plan reproduces exactly at any scale (checked by the oracle specs). */
export function headline(preset: Preset, scale: number) {
  const years =
    (Date.parse(`${preset.to}T00:00:00+08:00`) - Date.parse(`${preset.from}T00:00:00+08:00`)) / (365 * DAY);
  const visits = Math.round(preset.outpatientVisits * scale);
  return {
    upwardReferrals: Math.round(preset.upwardReferrals * scale * years),
    downwardReferrals: Math.round(preset.downwardReferrals * scale * years),
    residentVisits: visits,
    residentVisitsOutside: visits - Math.round(visits * preset.inRegionRate),
    residentVisitsAtCommunity: Math.round(visits * preset.residentsCommunityShare),
  };
}

type Draft = Omit<PlannedJourney, 'closedAt'>;
/** A journey's care as it is being drawn. */
type Episode = { visits: PlannedVisit[]; referrals: PlannedReferral[]; stays: PlannedStay[] };

/**
 * The mix of journey shapes and recording mistakes below is an assumption of the simulator (the sources give
 * totals, not case mixes); only the headline counts of the presets are reproduced exactly.
 */
class PlanBuilder {
  private readonly rand: () => number;
  /** Draws late entries apart from the care drawn with `rand`, so the share changes when facts are entered only. */
  private readonly lateRand: () => number;
  /** Draws the follow-up visits after discharges (issue 20) apart, so the rest of the plan is drawn as before. */
  private readonly followRand: () => number;
  readonly institutions: PlannedInstitution[] = [];
  private readonly start: number;
  private readonly end: number;

  constructor(
    private readonly preset: Preset,
    scale: number,
    private readonly seed: number,
    private readonly options: PlanOptions = DEFAULT_PLAN_OPTIONS,
  ) {
    this.rand = generator(seed);
    this.lateRand = generator((seed ^ 0x5bd1e995) >>> 0);
    this.followRand = generator((seed ^ 0x27d4eb2f) >>> 0);
    this.start = Date.parse(`${preset.from}T00:00:00+08:00`);
    this.end = Date.parse(`${preset.to}T00:00:00+08:00`);
    const alliances = preset.hospitals;
    // Every alliance keeps two community centres at least, so a downward redirect has somewhere to go.
    const centres = Math.max(2 * alliances, Math.round(preset.communityCentres * scale));
    const bedsPerCentre = Math.max(5, Math.round(preset.communityBeds / preset.communityCentres));
    for (let a = 1; a <= alliances; a++) {
      this.institutions.push({
        institutionId: `SIM-HOSP-${a}`,
        name: `Simulated tertiary hospital ${a}`,
        tier: 'tertiary',
        allianceId: `SIM-G${a}`,
        regionCode: preset.regionCode,
        wards: [
          { wardId: 'general', beds: preset.hospitalBedsPerWard, bedChange: null },
          { wardId: 'surgery', beds: preset.hospitalBedsPerWard / 4, bedChange: null },
        ],
      });
      // A secondary member makes redirects within the alliance possible both ways; its ward is kept tiny so that
      // busy days admit on extra beds (加床), occupied but not open beds (docs/analytics.md, "Open bed-days").
      this.institutions.push({
        institutionId: `SIM-SEC-${a}`,
        name: `Simulated secondary hospital ${a}`,
        tier: 'secondary',
        allianceId: `SIM-G${a}`,
        regionCode: preset.regionCode,
        wards: [{ wardId: 'general', beds: 2, bedChange: null }],
      });
    }
    for (let c = 1; c <= centres; c++) {
      this.institutions.push({
        institutionId: `SIM-CHC-${c}`,
        name: `Simulated community centre ${c}`,
        tier: 'community',
        allianceId: `SIM-G${((c - 1) % alliances) + 1}`,
        regionCode: preset.regionCode,
        wards: [
          {
            wardId: 'rehab',
            beds: bedsPerCentre,
            // Every other centre opens more beds during the period (a bed-count change: open bed-days follow it).
            bedChange: c % 2 === 0 ? { at: this.when(), beds: bedsPerCentre + 4 } : null,
          },
        ],
      });
    }
    this.institutions.push({
      institutionId: OUTSIDE_HOSPITAL,
      name: 'Simulated hospital outside the region',
      tier: 'tertiary',
      allianceId: 'SIM-OUT',
      regionCode: OUTSIDE_REGION,
      wards: [{ wardId: 'general', beds: 50, bedChange: null }],
    });
  }

  private between(low: number, high: number): number {
    return low + Math.floor(this.rand() * (high - low + 1));
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }

  shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const k = Math.floor(this.rand() * (i + 1));
      [items[i], items[k]] = [items[k]!, items[i]!];
    }
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)]!;
  }

  private weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let r = this.rand() * total;
    for (const [value, weight] of choices) {
      r -= weight;
      if (r < 0) return value;
    }
    return choices[choices.length - 1]![0];
  }

  /** A working-hours time (08:00-17:00 Beijing) on a day of the period. */
  private when(): number {
    const days = (this.end - this.start) / DAY;
    return (
      this.start +
      Math.floor(this.rand() * days) * DAY +
      this.between(8, 16) * HOUR +
      this.between(0, 59) * MINUTE
    );
  }

  get communities(): PlannedInstitution[] {
    return this.institutions.filter((i) => i.tier === 'community');
  }

  private member(allianceId: string, tier: Tier): PlannedInstitution {
    return this.institutions.find((i) => i.allianceId === allianceId && i.tier === tier)!;
  }

  private upperTier(): PlannedInstitution[] {
    return this.institutions.filter((i) => i.tier !== 'community' && i.institutionId !== OUTSIDE_HOSPITAL);
  }

  visit(
    institutionId: string,
    visitType: VisitType,
    at: number,
    referral: string | null = null,
    lateBy = 0,
  ): PlannedVisit {
    // Recording mistakes on plain visits: a wrong visit type or a wrong date (corrected later), or a duplicate.
    const mistake = referral === null ? this.rand() : 1;
    return {
      institutionId,
      visitType,
      at,
      referral,
      recordedAs:
        mistake < 0.03
          ? { at, visitType: visitType === 'outpatient' ? 'emergency' : 'outpatient' }
          : mistake < 0.05
            ? { at: at - this.between(1, 20) * DAY, visitType }
            : null,
      duplicated: referral === null && this.chance(0.03),
      lateBy,
    };
  }

  private stay(
    name: string,
    institution: PlannedInstitution,
    referral: string | null,
    admittedAt: number,
    dischargedAt: number,
    extras: Partial<Pick<PlannedStay, 'wardId' | 'rehabAt' | 'disposition' | 'destination'>> & {
      leave?: { readonly from: number; readonly to: number };
      surgery?: boolean;
      /** Nothing in the journey waits for this discharge, so it may be entered late. */
      last?: boolean;
      /**
       * The window a wrong time may fall in (docs/care-time.md): after the last fact the admission needs before it
       * (the journey's opening, the referral's acceptance, the end of the stay before, the leave from a held bed),
       * and before the first fact that needs the discharge before it (the next stay, the return to a held bed).
       */
      after: number;
      until?: number;
    },
  ): PlannedStay {
    const tertiary = institution.tier === 'tertiary';
    const wardId = extras.wardId ?? (tertiary && this.chance(0.3) ? 'surgery' : institution.wards[0]!.wardId);
    // Surgery the next morning and a move before it need the patient to still be there then.
    const long = (hours: number) => admittedAt + hours * HOUR < dischargedAt - HOUR;
    const moving = tertiary && wardId === 'general' && long(48) && this.chance(0.25);
    const moveAt = admittedAt + 20 * HOUR;
    const surgeryAt = moving
      ? moveAt + 3 * HOUR
      : long(18) && (extras.surgery || (tertiary && this.chance(0.4)))
        ? admittedAt + 18 * HOUR
        : null;
    const events = [
      ...(moving ? [moveAt] : []),
      ...(extras.leave ? [extras.leave.from, extras.leave.to] : []),
      ...(surgeryAt !== null ? [surgeryAt] : []),
      ...(extras.rehabAt ?? []),
    ];
    const next = Math.min(dischargedAt, ...events);
    const last = Math.max(admittedAt, ...events);
    // Wrong times are mistakes a records office makes and the care timeline allows (docs/care-time.md): they stay
    // on the right side of the stay's other events and inside the window the rest of the journey leaves, so the
    // record is a possible one at every moment, until the records office corrects it.
    const wrongAdmission = this.rand();
    // The time of the admission order, up to three hours before the patient reached the bed.
    const early = wrongAdmission < 0.04 ? admittedAt - (10 + this.between(0, 180)) * MINUTE : null;
    const recordedAdmittedAt =
      early !== null
        ? early > extras.after
          ? early
          : null
        : wrongAdmission < 0.07 && admittedAt + 2 * HOUR < next
          ? admittedAt + 2 * HOUR
          : null;
    const since = Math.max(last, recordedAdmittedAt ?? 0) + 10 * MINUTE;
    const dischargeMistake = this.rand();
    // A day late only if nothing after the discharge needs it first (the next stay, the return to a held bed).
    const recordedDischargedAt =
      extras.leave || dischargeMistake >= 0.05
        ? null
        : dischargedAt - 2 * HOUR > since
          ? dischargedAt - 2 * HOUR
          : dischargedAt + DAY < (extras.until ?? Infinity)
            ? dischargedAt + DAY
            : null;
    // The wrong discharge and its void both come before the real one, after everything else of the stay.
    const wrongDischargeAt =
      dischargeMistake >= 0.05 && dischargeMistake < 0.08 && dischargedAt - 3 * HOUR > since
        ? dischargedAt - 3 * HOUR
        : null;
    const leave = extras.leave ?? null;
    const leaveMistake = leave ? this.rand() : 1;
    const recordedLeave =
      leave && leaveMistake < 0.15
        ? { from: leave.from, to: leave.to + DAY }
        : leave && leaveMistake < 0.3 && leave.from - 2 * HOUR > Math.max(admittedAt, recordedAdmittedAt ?? 0)
          ? { from: leave.from - 2 * HOUR, to: leave.to }
          : null;
    return {
      name,
      institutionId: institution.institutionId,
      wardId,
      referral,
      admittedAt,
      moves: moving ? [{ at: moveAt, wardId: 'surgery' }] : [],
      leave: extras.leave ?? null,
      surgeryAt,
      rehabAt: extras.rehabAt ?? [],
      dischargedAt,
      disposition: extras.disposition ?? 'home',
      destination: extras.destination ?? null,
      recordedAdmittedAt,
      recordedDischargedAt,
      recordedLeave,
      wrongWardFirst: tertiary && this.chance(0.03) ? (wardId === 'general' ? 'surgery' : 'general') : null,
      wrongDischargeAt,
      lateDischargeBy: extras.last && this.chance(0.1) ? this.between(1, 10) * DAY : 0,
      wholeEnteredAt: null,
      surgeryEnteredAt: null,
      movesEnteredAt: null,
    };
  }

  /** Rejected for one of `reasons`, without a redirect. */
  private rejection(
    referral: Omit<PlannedReferral, 'decision' | 'end'>,
    at: number,
    reasons: readonly RejectReason[],
  ): PlannedReferral {
    return { ...referral, decision: { kind: 'rejected', at, reason: this.pick(reasons) }, end: null };
  }

  /** Time from request to decision: the green channel within its 2 hours, the others within a day or two. */
  private decisionDelay(priority: Priority): number {
    switch (priority) {
      case 'green-channel':
        return this.between(50, 110) * MINUTE;
      case 'urgent':
        return this.between(2 * 60, 20 * 60) * MINUTE;
      case 'routine':
        return this.between(3 * 60, 40 * 60) * MINUTE;
    }
  }

  /**
   * The care an accepted referral leads to from `acceptedAt` on (for a transfer down: once the patient has left
   * the hospital): an admission (inpatient) or a visit on the referral (outpatient); then it is completed.
   */
  private care(into: Episode, referral: Omit<PlannedReferral, 'end'>, acceptedAt: number): number {
    const target = this.institutions.find((i) => i.institutionId === referral.to)!;
    if (referral.setting === 'outpatient') {
      const seenAt = acceptedAt + this.between(1, 3) * DAY + this.between(-60, 60) * MINUTE;
      const completedAt = seenAt + 45 * MINUTE;
      into.referrals.push({ ...referral, end: { kind: 'completed', at: completedAt } });
      into.visits.push(this.visit(target.institutionId, 'outpatient', seenAt, referral.name));
      return completedAt;
    }
    // Now and then a time is written as the date alone, 00:00: the census instant itself, which the census dates
    // by local date (a stay admitted then is not in the night before; one discharged then was in it).
    const admittedAt = (this.chance(0.03) ? nextMidnight : (t: number) => t)(
      acceptedAt +
        (referral.priority === 'green-channel' ? this.between(45, 60) : this.between(60, 360)) * MINUTE,
    );
    const nights =
      referral.direction === 'down' ? this.between(1, 12) : this.chance(0.1) ? 0 : this.between(1, 9);
    const dischargedAt =
      nights === 0
        ? admittedAt + this.between(3 * 60, 6 * 60) * MINUTE
        : (this.chance(0.03) ? nextMidnight : (t: number) => t)(
            admittedAt + nights * DAY + this.between(-180, 180) * MINUTE,
          );
    // Rehab back at the community centre: a session a day for the first days.
    const rehabAt =
      referral.direction === 'down'
        ? Array.from({ length: Math.min(nights, 3) }, (_, k) => admittedAt + (k + 1) * 20 * HOUR)
        : [];
    into.stays.push(
      this.stay(`${referral.name}-stay`, target, referral.name, admittedAt, dischargedAt, {
        rehabAt,
        last: true,
        after: acceptedAt,
      }),
    );
    into.referrals.push({ ...referral, end: { kind: 'completed', at: dischargedAt + 5 * MINUTE } });
    return dischargedAt + 5 * MINUTE;
  }

  /** A follow-up visit back home (or, now and then, at the hospital outside the region), recorded late. */
  private followUp(community: string, after: number): PlannedVisit[] {
    if (!this.chance(0.15)) return [];
    const where = this.chance(0.2) ? OUTSIDE_HOSPITAL : community;
    return [
      this.visit(where, 'outpatient', after + this.between(1, 3) * DAY, null, this.between(5, 25) * DAY),
    ];
  }

  /**
   * The journey as the period leaves it (care after the period's end has not happened yet, see `untilEnd`), closed
   * half of the time an hour after its last care when nothing of it is still open and that is inside the period.
   */
  private close(draft: Draft): PlannedJourney {
    const journey = this.enteredLate(untilEnd(withinOpening(this.withFollowUps(draft)), this.end));
    const closing = this.chance(0.5) ? Math.max(...allTimes(journey)) + HOUR : null;
    // A referral nobody decided is expired by CarePath's deadline process, which the simulator lets act only once
    // the whole plan is recorded (docs/operations.md, "The simulator"): closed before that, the journey would
    // refuse the expiry, so it stays open.
    const leftToExpire = journey.referrals.some((r) => r.end?.kind === 'expired');
    const closable = closing !== null && closing < this.end && !stillOpen(journey) && !leftToExpire;
    return { ...journey, closedAt: closable ? closing : null };
  }

  /**
   * The visits that answer the follow-up owed at each discharge home or to rehab (issue 20), at the centre that
   * owes it (care-rules.ts): for 45% of discharges in the window, a few of them exactly on the due date (the window
   * is inclusive); for 20% too late, one to ten days after it; none for the others. A patient with another visit
   * there in the window (a follow-up visit drawn with the journey) is followed up as well.
   */
  private withFollowUps(draft: Draft): Draft {
    const visits = [...draft.visits];
    for (const s of draft.stays) {
      if (s.dischargedAt === null) continue;
      const owed = followUpOwed(draft, s, s.dischargedAt, this.institutions, null);
      const draw = this.followRand();
      if (owed === null || draw >= 0.65) continue;
      const window = owed.dueBy - s.dischargedAt;
      const at =
        draw < 0.05
          ? owed.dueBy
          : draw < 0.45
            ? s.dischargedAt + HOUR + Math.floor((this.followRand() * (window - HOUR)) / MINUTE) * MINUTE
            : owed.dueBy + (1 + Math.floor(this.followRand() * 10)) * DAY;
      visits.push({
        institutionId: owed.owedBy.institutionId,
        visitType: 'outpatient',
        at,
        referral: null,
        recordedAs: null,
        duplicated: false,
        lateBy: 0,
      });
    }
    return { ...draft, visits };
  }

  /**
   * Late entries (issue 16), each with probability `lateShare`: a stay discharged before another stay of the journey
   * is discharged (the hospital stay before the transfer down, the stay upstairs while the bed downstairs is held) is
   * entered whole, one to 21 days after that discharge was entered; a surgery, or a stay's ward moves, one to 72
   * hours after the stay's discharge was entered. The care times are those that happened: only entry times move.
   * A stay entered whole carries none of the mistakes of a stay entered as it goes (wrong ward, wrong times).
   */
  private enteredLate(j: Draft): Draft {
    const late = () => this.lateRand() < this.options.lateShare;
    const after = (at: number, low: number, high: number, unit: number) =>
      at + (low + Math.floor(this.lateRand() * (high - low + 1))) * unit;
    const entered = (s: PlannedStay) => (s.dischargedAt === null ? null : s.dischargedAt + s.lateDischargeBy);
    const stays = j.stays.map((s): PlannedStay => {
      const dischargedAt = s.dischargedAt;
      if (dischargedAt === null) return s;
      const later = j.stays
        .filter((o) => o !== s && o.dischargedAt !== null && o.dischargedAt > dischargedAt)
        .map((o) => entered(o)!);
      if (later.length > 0 && s.leave === null && late()) {
        const at = after(Math.min(...later), 1, 21, DAY);
        return {
          ...s,
          recordedAdmittedAt: null,
          recordedDischargedAt: null,
          wrongWardFirst: null,
          wrongDischargeAt: null,
          lateDischargeBy: 0,
          wholeEnteredAt: at,
          movesEnteredAt: s.moves.length > 0 ? at + MINUTE : null,
          surgeryEnteredAt: s.surgeryAt !== null ? at + 2 * MINUTE : null,
        };
      }
      return {
        ...s,
        surgeryEnteredAt: s.surgeryAt !== null && late() ? after(entered(s)!, 1, 72, HOUR) : null,
        movesEnteredAt: s.moves.length > 0 && late() ? after(entered(s)!, 1, 72, HOUR) : null,
      };
    });
    return { ...j, stays };
  }

  /**
   * 上转: a first visit at the community centre, then an upward referral (routine, urgent or green channel) to
   * the alliance's tertiary or secondary hospital, or now and then to another alliance's; it is accepted and
   * admitted (inpatient) or seen (outpatient, completed without admission), rejected, redirected within the
   * alliance, cancelled (before or after acceptance) or left to expire. `rowsLeft`: upward requests still to plan.
   */
  up(i: number, community: PlannedInstitution, rowsLeft: number): PlannedJourney {
    const t0 = this.when();
    const priority = this.weighted<Priority>([
      ['routine', 6],
      ['urgent', 3],
      ['green-channel', 1],
    ]);
    const others = this.upperTier().filter((h) => h.allianceId !== community.allianceId);
    const target =
      others.length > 0 && this.chance(0.1)
        ? this.pick(others)
        : this.member(community.allianceId, this.chance(0.8) ? 'tertiary' : 'secondary');
    let outcome = this.weighted([
      ['admitted', 50],
      ['seen', 20],
      ['rejected', 7],
      ['redirected', 8],
      ['cancelled', 8],
      ['expired', 7],
    ] as const);
    if (outcome === 'redirected' && rowsLeft < 2) outcome = 'admitted';
    const setting: Setting =
      outcome === 'admitted'
        ? 'inpatient'
        : outcome === 'seen'
          ? 'outpatient'
          : this.pick(['inpatient', 'outpatient']);
    const requestedAt = t0 + this.between(30, 90) * MINUTE;
    const receivedAt = this.chance(0.8) ? requestedAt + this.between(5, 15) * MINUTE : null;
    const decidedAt = requestedAt + this.decisionDelay(priority);
    const wrongTargets = this.upperTier().filter((h) => h.institutionId !== target.institutionId);
    const base = {
      name: 'up',
      direction: 'up' as const,
      from: community.institutionId,
      to: target.institutionId,
      priority,
      setting,
      requestedAt,
      redirectedFrom: null,
      receivedAt,
      wrongTargetFirst: this.chance(0.04) ? this.pick(wrongTargets).institutionId : null,
    };
    const episode: Episode = {
      visits: [this.visit(community.institutionId, 'outpatient', t0)],
      referrals: [],
      stays: [],
    };
    const { referrals } = episode;
    let accepted: { referral: Omit<PlannedReferral, 'end'>; at: number } | null = null;
    switch (outcome) {
      case 'admitted':
      case 'seen':
        accepted = {
          referral: {
            ...base,
            decision: {
              kind: 'accepted',
              at: decidedAt,
              rejectedInErrorFirst: receivedAt !== null && this.chance(0.05),
            },
          },
          at: decidedAt,
        };
        break;
      case 'rejected':
        referrals.push(
          this.rejection(base, decidedAt, ['not-indicated', 'incomplete-information', 'service-unavailable']),
        );
        break;
      case 'redirected': {
        const redirectTo = this.member(
          target.allianceId,
          target.tier === 'tertiary' ? 'secondary' : 'tertiary',
        );
        referrals.push({
          ...base,
          decision: { kind: 'redirected', at: decidedAt, to: 'redirect' },
          end: null,
        });
        const acceptedAt = decidedAt + this.between(30, 180) * MINUTE;
        accepted = {
          referral: {
            ...base,
            name: 'redirect',
            to: redirectTo.institutionId,
            requestedAt: decidedAt,
            redirectedFrom: 'up',
            receivedAt: decidedAt + 10 * MINUTE,
            decision: { kind: 'accepted', at: acceptedAt, rejectedInErrorFirst: false },
            wrongTargetFirst: null,
          },
          at: acceptedAt,
        };
        break;
      }
      case 'cancelled':
        if (this.chance(0.5)) {
          referrals.push({
            ...base,
            decision: null,
            end: { kind: 'cancelled', at: requestedAt + this.between(60, 600) * MINUTE },
          });
        } else {
          referrals.push({
            ...base,
            decision: { kind: 'accepted', at: decidedAt, rejectedInErrorFirst: false },
            end: { kind: 'cancelled', at: decidedAt + this.between(2 * 60, 20 * 60) * MINUTE },
          });
        }
        break;
      case 'expired':
        referrals.push({
          ...base,
          decision: null,
          end: { kind: 'expired', at: referralDeadline(requestedAt, priority) },
        });
        break;
    }
    if (accepted) {
      const endedAt = this.care(episode, accepted.referral, accepted.at);
      episode.visits.push(...this.followUp(community.institutionId, endedAt));
    }
    return this.close({
      shape: 'up',
      patientId: `pt-sim${this.seed}u${i}`,
      residenceRegion: this.preset.regionCode,
      ...episode,
    });
  }

  /**
   * 下转: an emergency visit and a stay at the alliance's tertiary or secondary hospital, then a downward referral
   * to the patient's community centre: accepted into the rehab ward (inpatient) or for outpatient rehab, redirected
   * to another centre of the alliance for capacity, rejected, cancelled or expired (the patient then goes home).
   */
  down(i: number, community: PlannedInstitution, rowsLeft: number): PlannedJourney {
    const hospital = this.member(community.allianceId, this.chance(0.8) ? 'tertiary' : 'secondary');
    const t0 = this.when();
    const admittedAt = t0 + this.between(60, 180) * MINUTE;
    const dischargedAt = admittedAt + this.between(2, 8) * DAY + this.between(-120, 120) * MINUTE;
    const requestedAt = dischargedAt - DAY;
    const priority: Priority = this.chance(0.8) ? 'routine' : 'urgent';
    const setting: Setting = this.chance(0.85) ? 'inpatient' : 'outpatient';
    const neighbours = this.communities.filter(
      (c) => c.allianceId === community.allianceId && c.institutionId !== community.institutionId,
    );
    let outcome = this.weighted([
      ['accepted', 82],
      ['redirected', 6],
      ['rejected', 4],
      ['cancelled', 4],
      ['expired', 4],
    ] as const);
    if (outcome === 'redirected' && (rowsLeft < 2 || neighbours.length === 0)) outcome = 'accepted';
    const decidedAt = requestedAt + this.between(60, 300) * MINUTE;
    const base = {
      name: 'down',
      direction: 'down' as const,
      from: hospital.institutionId,
      to: community.institutionId,
      priority,
      setting,
      requestedAt,
      redirectedFrom: null,
      receivedAt: this.chance(0.5) ? requestedAt + this.between(5, 30) * MINUTE : null,
      wrongTargetFirst: null,
    };
    const episode: Episode = {
      visits: [this.visit(hospital.institutionId, 'emergency', t0)],
      referrals: [],
      stays: [],
    };
    const { referrals, stays, visits } = episode;
    let endedAt = dischargedAt;
    let accepted: Omit<PlannedReferral, 'end'> | null = null;
    switch (outcome) {
      case 'accepted':
        accepted = { ...base, decision: { kind: 'accepted', at: decidedAt, rejectedInErrorFirst: false } };
        break;
      case 'redirected': {
        const other = this.pick(neighbours);
        referrals.push({
          ...base,
          decision: { kind: 'redirected', at: decidedAt, to: 'redirect' },
          end: null,
        });
        accepted = {
          ...base,
          name: 'redirect',
          to: other.institutionId,
          requestedAt: decidedAt,
          redirectedFrom: 'down',
          receivedAt: null,
          decision: {
            kind: 'accepted',
            at: decidedAt + this.between(30, 120) * MINUTE,
            rejectedInErrorFirst: false,
          },
        };
        break;
      }
      case 'rejected':
        referrals.push(this.rejection(base, decidedAt, ['capacity-full', 'service-unavailable']));
        break;
      case 'cancelled':
        referrals.push({
          ...base,
          decision: null,
          end: { kind: 'cancelled', at: requestedAt + this.between(60, 300) * MINUTE },
        });
        break;
      case 'expired': {
        const at = referralDeadline(requestedAt, priority);
        referrals.push({ ...base, decision: null, end: { kind: 'expired', at } });
        endedAt = at;
        break;
      }
    }
    // Care on the accepted transfer starts once the patient has left the hospital.
    if (accepted) endedAt = this.care(episode, accepted, dischargedAt);
    const transfer = accepted && setting === 'inpatient' ? accepted.to : null;
    stays.unshift(
      this.stay('hospital', hospital, null, admittedAt, dischargedAt, {
        disposition: transfer ? 'rehab' : 'home',
        destination: transfer,
        after: t0,
        // The stay at the community centre the transfer leads to, if it began.
        until: stays[0]?.admittedAt,
      }),
    );
    // The family-doctor visit the day before, entered only once the journey was over: a late entry that lands
    // before everything else recorded for this patient.
    if (this.chance(0.1)) {
      const at = t0 - this.between(20, 40) * HOUR;
      visits.push(
        this.visit(community.institutionId, 'outpatient', at, null, endedAt - at + this.between(1, 5) * DAY),
      );
    }
    visits.push(...this.followUp(community.institutionId, endedAt));
    return this.close({
      shape: 'down',
      patientId: `pt-sim${this.seed}d${i}`,
      residenceRegion: this.preset.regionCode,
      ...episode,
    });
  }

  /**
   * 序贯病房: admitted to the community rehab ward, then an urgent or green-channel referral up; the patient leaves
   * with the bed held, is admitted and operated on upstairs, transferred back down (a downward referral), returns
   * to the held bed, has rehab sessions and goes home.
   */
  sequential(i: number, community: PlannedInstitution): PlannedJourney {
    const hospital = this.member(community.allianceId, 'tertiary');
    const t0 = this.when();
    const priority: Priority = this.chance(0.6) ? 'urgent' : 'green-channel';
    const admittedAt = t0 + this.between(60, 120) * MINUTE;
    const requestedAt = admittedAt + this.between(1, 4) * DAY + this.between(0, 180) * MINUTE;
    const acceptedAt = requestedAt + this.between(30, 45) * MINUTE;
    const leaveAt = acceptedAt + 30 * MINUTE;
    const upstairsAt = leaveAt + HOUR;
    const upstairsOut = upstairsAt + this.between(3, 8) * DAY + this.between(-60, 60) * MINUTE;
    const downRequestedAt = upstairsOut - DAY;
    const returnAt = upstairsOut + this.between(2, 4) * HOUR;
    const sessions = this.between(2, 5);
    const rehabAt = Array.from({ length: sessions }, (_, k) => returnAt + (k + 1) * DAY - 2 * HOUR);
    const dischargedAt = returnAt + (sessions + this.between(1, 4)) * DAY;
    const up: PlannedReferral = {
      name: 'up',
      direction: 'up',
      from: community.institutionId,
      to: hospital.institutionId,
      priority,
      setting: 'inpatient',
      requestedAt,
      redirectedFrom: null,
      receivedAt: requestedAt + 10 * MINUTE,
      decision: { kind: 'accepted', at: acceptedAt, rejectedInErrorFirst: false },
      end: { kind: 'completed', at: upstairsOut + 5 * MINUTE },
      wrongTargetFirst: null,
    };
    const down: PlannedReferral = {
      name: 'down',
      direction: 'down',
      from: hospital.institutionId,
      to: community.institutionId,
      priority: 'routine',
      setting: 'inpatient',
      requestedAt: downRequestedAt,
      redirectedFrom: null,
      receivedAt: null,
      decision: { kind: 'accepted', at: downRequestedAt + 2 * HOUR, rejectedInErrorFirst: false },
      end: { kind: 'completed', at: dischargedAt + 5 * MINUTE },
      wrongTargetFirst: null,
    };
    return this.close({
      shape: 'sequential',
      patientId: `pt-sim${this.seed}s${i}`,
      residenceRegion: this.preset.regionCode,
      visits: [this.visit(community.institutionId, 'outpatient', t0)],
      referrals: [up, down],
      stays: [
        this.stay('community', community, null, admittedAt, dischargedAt, {
          leave: { from: leaveAt, to: returnAt },
          rehabAt,
          last: true,
          after: t0,
        }),
        this.stay('upstairs', hospital, 'up', upstairsAt, upstairsOut, {
          wardId: 'surgery',
          surgery: true,
          disposition: 'rehab',
          destination: community.institutionId,
          // On leave from the held bed downstairs, and back in it after this stay.
          after: leaveAt,
          until: returnAt,
        }),
      ],
    });
  }

  /** One outpatient visit by a resident (quota journeys) or by a visitor from the other region. */
  visitOnly(
    shape: 'visit' | 'visitor',
    i: number,
    institutionId: string,
    residenceRegion: string,
  ): PlannedJourney {
    const visitType: VisitType = shape === 'visitor' && this.chance(0.2) ? 'emergency' : 'outpatient';
    // One in ten is entered late, as a township centre uploading last month's register would.
    const lateBy = this.chance(0.1) ? this.between(1, 30) * DAY : 0;
    return {
      shape,
      patientId: `pt-sim${this.seed}${shape === 'visit' ? 'v' : 'x'}${i}`,
      residenceRegion,
      visits: [this.visit(institutionId, visitType, this.when(), null, lateBy)],
      referrals: [],
      stays: [],
      closedAt: null,
    };
  }

  inRegionHospitals(): PlannedInstitution[] {
    return this.upperTier();
  }
}

/**
 * Nothing of a journey happens before it opened (docs/care-time.md), and a records office dates no visit before the
 * journey it is entered in: a visit is never entered with a wrong date before the first visit (a late visit that
 * truly came before it moves the opening, see the script, but only to its true date).
 */
function withinOpening(j: Draft): Draft {
  const opened = j.visits[0]!.at;
  return {
    ...j,
    visits: j.visits.map((v, k) =>
      k > 0 && v.recordedAs !== null && v.recordedAs.at <= opened ? { ...v, recordedAs: null } : v,
    ),
  };
}

/** Is anything of the journey still open: a referral not yet decided or accepted and not yet ended, a stay? */
export function stillOpen(j: Draft): boolean {
  return (
    j.referrals.some((r) => r.end === null && (r.decision === null || r.decision.kind === 'accepted')) ||
    j.stays.some((s) => s.dischargedAt === null)
  );
}

/**
 * A journey as it stands at the end of the period (`end`, exclusive): what would happen in care from then on has
 * not happened yet, so it is left out, and what it leaves open stays open. A request made before the end but not
 * yet decided is pending; one accepted but whose care is not over is accepted (the patient not yet seen or
 * admitted, or still in hospital); a stay not yet discharged is open, its patient in a bed (or on leave from a
 * held bed) at every midnight to come. Care of the period recorded after its end (late entries, corrections)
 * is still recorded: only care times are cut, not recording times.
 */
export function untilEnd(j: Draft, end: number): Draft {
  const before = (t: number | null): t is number => t !== null && t < end;
  const referrals = j.referrals
    .filter((r) => before(r.requestedAt))
    .map((r): PlannedReferral => ({
      ...r,
      receivedAt: before(r.receivedAt) ? r.receivedAt : null,
      decision: r.decision && before(r.decision.at) ? r.decision : null,
      end: r.end && before(r.end.at) ? r.end : null,
    }));
  const stays = j.stays
    .filter((s) => before(s.admittedAt))
    .map((s): PlannedStay => {
      const discharged = before(s.dischargedAt);
      const leave = s.leave && before(s.leave.from) ? s.leave : null;
      const returned = leave !== null && before(leave.to);
      return {
        ...s,
        moves: s.moves.filter((m) => before(m.at)),
        leave: leave && { from: leave.from, to: returned ? leave.to : null },
        surgeryAt: before(s.surgeryAt) ? s.surgeryAt : null,
        rehabAt: s.rehabAt.filter(before),
        dischargedAt: discharged ? s.dischargedAt : null,
        recordedAdmittedAt: before(s.recordedAdmittedAt) ? s.recordedAdmittedAt : null,
        recordedDischargedAt: discharged && before(s.recordedDischargedAt) ? s.recordedDischargedAt : null,
        recordedLeave:
          returned && s.recordedLeave && before(s.recordedLeave.from) && before(s.recordedLeave.to)
            ? s.recordedLeave
            : null,
        wrongDischargeAt: before(s.wrongDischargeAt) ? s.wrongDischargeAt : null,
        lateDischargeBy: discharged ? s.lateDischargeBy : 0,
        // Entered after a discharge: only once that discharge has happened.
        wholeEnteredAt: discharged ? s.wholeEnteredAt : null,
        surgeryEnteredAt: discharged && before(s.surgeryAt) ? s.surgeryEnteredAt : null,
        movesEnteredAt: discharged && s.moves.some((m) => before(m.at)) ? s.movesEnteredAt : null,
      };
    });
  return { ...j, visits: j.visits.filter((v) => before(v.at)), referrals, stays };
}

/** Every care time of a journey, recorded values included. */
export function allTimes(j: Draft): number[] {
  return [
    ...j.visits.flatMap((v) => [v.at, ...(v.recordedAs ? [v.recordedAs.at] : [])]),
    ...j.referrals.flatMap((r) => [
      r.requestedAt,
      ...(r.receivedAt !== null ? [r.receivedAt] : []),
      ...(r.decision ? [r.decision.at] : []),
      ...(r.end ? [r.end.at] : []),
    ]),
    ...j.stays.flatMap((s) => [
      s.admittedAt,
      ...(s.dischargedAt !== null ? [s.dischargedAt] : []),
      ...s.moves.map((m) => m.at),
      ...(s.leave ? [s.leave.from, ...(s.leave.to !== null ? [s.leave.to] : [])] : []),
      ...(s.surgeryAt !== null ? [s.surgeryAt] : []),
      ...s.rehabAt,
      ...(s.recordedAdmittedAt !== null ? [s.recordedAdmittedAt] : []),
      ...(s.recordedDischargedAt !== null ? [s.recordedDischargedAt] : []),
      ...(s.recordedLeave ? [s.recordedLeave.from, s.recordedLeave.to] : []),
      ...(s.wrongDischargeAt !== null ? [s.wrongDischargeAt] : []),
    ]),
  ];
}

export function makePlan(
  preset: Preset,
  scale: number,
  seed: number,
  options: Partial<PlanOptions> = {},
): Plan {
  const planOptions = { ...DEFAULT_PLAN_OPTIONS, ...options };
  const b = new PlanBuilder(preset, scale, seed, planOptions);
  const counts = headline(preset, scale);
  const journeys: PlannedJourney[] = [];
  // Upward requests are counted as person-times (a redirect is a second request), so the plan stops exactly at
  // the preset's figure; sequential-ward journeys also take one downward request each.
  let up = 0;
  let down = 0;
  while (up < counts.upwardReferrals) {
    const community = b.pick(b.communities);
    const i = journeys.length;
    const journey =
      down < counts.downwardReferrals && b.chance(0.1)
        ? b.sequential(i, community)
        : b.up(i, community, counts.upwardReferrals - up);
    up += journey.referrals.filter((r) => r.direction === 'up').length;
    down += journey.referrals.filter((r) => r.direction === 'down').length;
    journeys.push(journey);
  }
  while (down < counts.downwardReferrals) {
    const community = b.pick(b.communities);
    const i = journeys.length;
    const journey = b.down(i, community, counts.downwardReferrals - down);
    down += journey.referrals.length;
    journeys.push(journey);
  }
  // Visit-only journeys in exact proportions (quotas, not coin flips), so the rates come out as the preset says.
  const slots: string[] = Array.from({ length: counts.residentVisits }, (_, i) =>
    i < counts.residentVisitsOutside
      ? 'out'
      : i < counts.residentVisitsOutside + counts.residentVisitsAtCommunity
        ? 'community'
        : 'hospital',
  );
  b.shuffle(slots);
  const hospitals = b.inRegionHospitals();
  slots.forEach((slot, i) => {
    const institution =
      slot === 'out'
        ? OUTSIDE_HOSPITAL
        : slot === 'community'
          ? b.pick(b.communities).institutionId
          : b.pick(hospitals).institutionId;
    journeys.push(b.visitOnly('visit', i, institution, preset.regionCode));
  });
  // Residents of the other region who come in for care: counted where they are seen, not as residents.
  const visitors = Math.max(2, Math.round(journeys.length * 0.02));
  for (let i = 0; i < visitors; i++) {
    const institution = b.pick([...b.communities, ...b.communities, ...hospitals]).institutionId;
    journeys.push(b.visitOnly('visitor', i, institution, OUTSIDE_REGION));
  }
  const familyDoctors = preset.familyDoctors
    ? planFamilyDoctors(preset.familyDoctors, {
        regionCode: preset.regionCode,
        from: Date.parse(`${preset.from}T00:00:00+08:00`),
        to: Date.parse(`${preset.to}T00:00:00+08:00`),
        centres: b.communities.map((c) => c.institutionId),
        hospitals: hospitals.map((h) => h.institutionId),
        scale,
        // Its own generator: the journeys above are drawn as they are without it.
        rand: generator((seed ^ 0x2545f491) >>> 0),
      })
    : null;
  // Loops rather than Math.min(...spread): at scale 1 there are millions of times.
  let first = localDay(Date.parse(`${preset.from}T00:00:00+08:00`));
  let last = first;
  for (const j of journeys) {
    for (const t of [...allTimes(j), ...(j.closedAt !== null ? [j.closedAt] : [])]) {
      first = Math.min(first, localDay(t));
      last = Math.max(last, localDay(t));
    }
  }
  for (const block of familyDoctors?.blocks ?? []) last = Math.max(last, localDay(block.start));
  const months: string[] = [];
  for (let m = monthOfDay(first); m <= monthOfDay(last); m = nextMonth(m)) months.push(m);
  return {
    preset,
    scale,
    seed,
    options: planOptions,
    institutions: b.institutions,
    journeys,
    months,
    familyDoctors,
  };
}

export function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
