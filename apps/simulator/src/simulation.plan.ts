/*
 * The simulator's plan: a deterministic city (institutions, wards) and the journeys its residents make over a
 * period, drawn from a seeded generator. The plan is data; the runner turns it into real commands, and the ground
 * truth is computed from the plan alone, never from CarePath's read models (it is the oracle for them).
 */
export interface Preset {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly regionCode: string;
  readonly communityCentres: number;
  readonly hospitals: number;
  /** Per year at scale 1 (domain.md, "Figures from the source articles"). */
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
}

/** Chaoyang district (Beijing), 2023: 52 community centres, 4 urban medical groups led by tertiary hospitals,
 *  60,156 upward and 114,696 downward transfers, 1,018 community beds (domain.md). */
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
   *  visits (38.851 M, domain.md), so about 99.9 M outpatient visits in all. No referral figures are quoted. */
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
  /** Zhaohua (Guangyuan, Sichuan), a county medical community aiming at 90% in-county treatment (domain.md). The
   *  visit volume is an assumption (1 M a year at scale 1); the sources give rates, not counts. */
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
};

/** The hospital outside the region that residents also use (counted out of region). */
export const OUTSIDE_HOSPITAL = 'SIM-OUT-1';
export const OUTSIDE_REGION = '999999';

export interface PlannedInstitution {
  readonly institutionId: string;
  readonly name: string;
  readonly tier: 'community' | 'tertiary';
  readonly allianceId: string;
  readonly wardId: string;
  readonly beds: number;
}

export type Outcome = 'admitted' | 'rejected' | 'cancelled';

/** An upward journey: community visit, referral up, then admitted upstairs, rejected, or cancelled. */
export interface UpwardJourney {
  readonly kind: 'up';
  readonly patientId: string;
  readonly community: string;
  readonly hospital: string;
  readonly visitAt: number;
  readonly outcome: Outcome;
  /** For admitted ones: the stay upstairs. */
  readonly admittedAt: number;
  readonly dischargedAt: number;
}

/** A downward journey: emergency visit upstairs, a stay, a transfer down, a community rehab stay. */
export interface DownwardJourney {
  readonly kind: 'down';
  readonly patientId: string;
  readonly community: string;
  readonly hospital: string;
  readonly visitAt: number;
  readonly hospitalAdmittedAt: number;
  readonly referredAt: number;
  readonly hospitalDischargedAt: number;
  readonly communityAdmittedAt: number;
  readonly communityDischargedAt: number;
}

/** A visit-only journey: one outpatient visit, at a community centre or a hospital, in or out of the region. */
export interface VisitJourney {
  readonly kind: 'visit';
  readonly patientId: string;
  readonly institutionId: string;
  readonly community: boolean;
  readonly inRegion: boolean;
  readonly visitAt: number;
}

export type PlannedJourney = UpwardJourney | DownwardJourney | VisitJourney;

export interface Plan {
  readonly preset: Preset;
  readonly scale: number;
  readonly seed: number;
  readonly institutions: readonly PlannedInstitution[];
  readonly journeys: readonly PlannedJourney[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function generator(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

export function makePlan(preset: Preset, scale: number, seed: number): Plan {
  const rand = generator(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const centres = Math.max(2, Math.round(preset.communityCentres * scale));
  const hospitals = Math.max(
    1,
    Math.min(preset.hospitals, Math.round(preset.hospitals * Math.max(scale, 0.25))),
  );
  const institutions: PlannedInstitution[] = [];
  for (let h = 0; h < hospitals; h++) {
    institutions.push({
      institutionId: `SIM-HOSP-${h + 1}`,
      name: `Simulated tertiary hospital ${h + 1}`,
      tier: 'tertiary',
      allianceId: `SIM-G${h + 1}`,
      wardId: 'general',
      beds: preset.hospitalBedsPerWard,
    });
  }
  for (let c = 0; c < centres; c++) {
    institutions.push({
      institutionId: `SIM-CHC-${c + 1}`,
      name: `Simulated community centre ${c + 1}`,
      tier: 'community',
      allianceId: `SIM-G${(c % hospitals) + 1}`,
      wardId: 'rehab',
      beds: Math.max(5, Math.round(preset.communityBeds / preset.communityCentres)),
    });
  }
  const communities = institutions.filter((i) => i.tier === 'community');
  const hospitalOf = (community: PlannedInstitution) =>
    institutions.find((i) => i.tier === 'tertiary' && i.allianceId === community.allianceId)!;

  const start = Date.parse(`${preset.from}T00:00:00+08:00`);
  const end = Date.parse(`${preset.to}T00:00:00+08:00`);
  const years = (end - start) / (365 * DAY);
  // A time in the period on a working-hours clock (08:00-17:00 Beijing), leaving two weeks for the care to end.
  const when = () =>
    start +
    Math.floor(rand() * ((end - start) / DAY - 20)) * DAY +
    (8 + Math.floor(rand() * 9)) * HOUR +
    Math.floor(rand() * 60) * 60_000;
  const stayDays = () => (rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 7));

  const journeys: PlannedJourney[] = [];
  const ups = Math.round(preset.upwardReferrals * scale * years);
  for (let i = 0; i < ups; i++) {
    const community = pick(communities);
    const visitAt = when();
    const r = rand();
    const outcome: Outcome = r < 0.8 ? 'admitted' : r < 0.9 ? 'rejected' : 'cancelled';
    const admittedAt = visitAt + DAY;
    const days = stayDays();
    journeys.push({
      kind: 'up',
      patientId: `pt-sim${seed}u${i}`,
      community: community.institutionId,
      hospital: hospitalOf(community).institutionId,
      visitAt,
      outcome,
      admittedAt,
      dischargedAt: admittedAt + days * DAY + (days === 0 ? 6 * HOUR : 0),
    });
  }
  const downs = Math.round(preset.downwardReferrals * scale * years);
  for (let i = 0; i < downs; i++) {
    const community = pick(communities);
    const visitAt = when();
    const hospitalAdmittedAt = visitAt + HOUR;
    const hospitalDischargedAt = hospitalAdmittedAt + (1 + Math.floor(rand() * 6)) * DAY;
    const communityAdmittedAt = hospitalDischargedAt + 3 * HOUR;
    journeys.push({
      kind: 'down',
      patientId: `pt-sim${seed}d${i}`,
      community: community.institutionId,
      hospital: hospitalOf(community).institutionId,
      visitAt,
      hospitalAdmittedAt,
      referredAt: hospitalDischargedAt - DAY,
      hospitalDischargedAt,
      communityAdmittedAt,
      communityDischargedAt: communityAdmittedAt + (1 + Math.floor(rand() * 10)) * DAY,
    });
  }
  // Visit-only journeys in exact proportions (quotas, not coin flips), so the rates come out as the preset says.
  const visits = Math.round(preset.outpatientVisits * scale);
  if (visits > 0) {
    institutions.push({
      institutionId: OUTSIDE_HOSPITAL,
      name: 'Simulated hospital outside the region',
      tier: 'tertiary',
      allianceId: 'SIM-OUT',
      wardId: 'general',
      beds: 50,
    });
    const outside = visits - Math.round(visits * preset.inRegionRate);
    const community = Math.round(visits * preset.residentsCommunityShare);
    const hospitalsIn = institutions.filter(
      (i) => i.tier === 'tertiary' && i.institutionId !== OUTSIDE_HOSPITAL,
    );
    const slots: string[] = Array.from({ length: visits }, (_, i) =>
      i < outside ? 'out' : i < outside + community ? 'community' : 'hospital',
    );
    for (let i = slots.length - 1; i > 0; i--) {
      const k = Math.floor(rand() * (i + 1));
      [slots[i], slots[k]] = [slots[k]!, slots[i]!];
    }
    slots.forEach((slot, i) => {
      const institution =
        slot === 'out'
          ? OUTSIDE_HOSPITAL
          : slot === 'community'
            ? pick(communities).institutionId
            : pick(hospitalsIn).institutionId;
      journeys.push({
        kind: 'visit',
        patientId: `pt-sim${seed}v${i}`,
        institutionId: institution,
        community: slot === 'community',
        inRegion: slot !== 'out',
        visitAt: when(),
      });
    });
  }
  return { preset, scale, seed, institutions, journeys };
}
