import type { KeyGroup } from '@carepath/domain';

/*
 * The family-doctor part of a plan (issue 19): a region's population recorded as reference data, residents signed
 * with the family doctors of its community centres, and specialist slot blocks the region's hospitals publish and
 * release downward, booked by those doctors for the residents they signed. Drawn with its own generator, so a preset
 * without it draws exactly the plan it drew before.
 */

/** The family-doctor figures of a preset (docs/domain.md, "Figures from the source articles"). */
export interface FamilyDoctorPreset {
  /** Slots booked and used (not cancelled) over the period at scale 1 (Minhang: 9,486 in 100 days). */
  readonly bookings: number;
  /** Share of the people booked who were signed hypertension or diabetes patients (Minhang: 62.5%). */
  readonly chronicShare: number;
  /** Share of the people booked aged 60 or over (Minhang: 77.4%). */
  readonly age60Share: number;
  /** Signed ÷ residents, and key-group members signed ÷ key-group residents (Shanghai: 44.87%, 98.98%). */
  readonly coverage: number;
  readonly keyGroupCoverage: number;
  /**
   * The simulated catchment at scale 1, and the share of it in a coverage key group: assumptions (the sources give
   * rates, not the population behind them), sized so that the signed residents can make every booking.
   */
  readonly residents: number;
  readonly keyGroupResidentShare: number;
}

export interface PlannedPopulation {
  readonly regionCode: string;
  readonly effectiveOn: string;
  readonly recordedAt: number;
  readonly residents: number;
  readonly keyGroupResidents: number;
  readonly byKeyGroup: Readonly<Partial<Record<KeyGroup, number>>>;
  readonly centres: readonly {
    readonly centreId: string;
    readonly residents: number;
    readonly keyGroupResidents: number;
  }[];
}

export interface PlannedContract {
  readonly residentId: string;
  readonly doctorId: string;
  readonly centreId: string;
  readonly regionCode: string;
  /** The Beijing date it starts on (YYYY-MM-DD), signed that day at `signedAt`; the default one-year term. */
  readonly startDate: string;
  readonly signedAt: number;
  readonly keyGroups: readonly KeyGroup[];
}

export interface PlannedBooking {
  readonly residentId: string;
  readonly doctorId: string;
  readonly centreId: string;
  readonly at: number;
  /** Took a slot held for priority (the release's rule, docs/family-doctors.md, "Release window and priority"). */
  readonly priority: boolean;
  readonly keyGroups: readonly KeyGroup[];
  /** Cancelled by the centre before the cutoff, or closed by the hospital; null: still booked. */
  readonly end: { readonly kind: 'cancelled' | 'attended' | 'no-show'; readonly at: number } | null;
}

export interface PlannedSlotBlock {
  readonly hospitalId: string;
  readonly department: string;
  /** The session's Beijing date and start (HH:MM), and that start as an instant. */
  readonly date: string;
  readonly startTime: string;
  readonly start: number;
  readonly count: number;
  readonly publishedAt: number;
  readonly releasedAt: number;
  /** The whole block is released. */
  readonly released: number;
  /** In recording (care-time) order. */
  readonly bookings: readonly PlannedBooking[];
}

export interface FamilyDoctorPlan {
  readonly population: PlannedPopulation;
  readonly contracts: readonly PlannedContract[];
  readonly blocks: readonly PlannedSlotBlock[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UTC8 = 8 * HOUR;
/** The release policy the API runs with by default (docs/family-doctors.md, "Release window and priority"). */
export const BOOKING_WINDOW_DAYS = 5;
export const PRIORITY_SHARE_PERCENT = 50;
export const PRIORITY_LAPSE_HOURS = 48;
export const CANCEL_CUTOFF_HOURS = 24;
export const PRIORITY_KEY_GROUPS: readonly KeyGroup[] = ['hypertension', 'type-2-diabetes', 'age-60-plus'];
/** Slots per block, all released downward; a block takes at most SLOTS_PER_BLOCK - 2 used bookings. */
const SLOTS_PER_BLOCK = 10;
const DEPARTMENTS = ['cardiology', 'endocrinology', 'neurology'] as const;
const DOCTORS_PER_CENTRE = 3;
const NO_SHOW_SHARE = 0.08;
const CANCEL_SHARE = 0.05;

const dateOf = (ms: number) => new Date(ms + UTC8).toISOString().slice(0, 10);
const midnight = (ms: number) => Math.floor((ms + UTC8) / DAY) * DAY - UTC8;

/** `total` split into `parts` whole numbers as evenly as possible (the first ones take the remainder). */
const split = (total: number, parts: number) =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

/**
 * The family-doctor plan of a preset: quotas, not coin flips, for the figures the preset states (coverage per centre,
 * the booked people's key-group shares), so they come out as stated up to rounding; times and the rest are drawn.
 */
export function planFamilyDoctors(
  preset: FamilyDoctorPreset,
  options: {
    readonly regionCode: string;
    readonly from: number;
    readonly to: number;
    readonly centres: readonly string[];
    readonly hospitals: readonly string[];
    readonly scale: number;
    readonly rand: () => number;
  },
): FamilyDoctorPlan {
  const { rand, centres } = options;
  const between = (low: number, high: number) => low + Math.floor(rand() * (high - low + 1));
  const shuffle = <T>(items: T[]) => {
    for (let i = items.length - 1; i > 0; i--) {
      const k = Math.floor(rand() * (i + 1));
      [items[i], items[k]] = [items[k]!, items[i]!];
    }
    return items;
  };
  const residents = Math.round(preset.residents * options.scale);
  const keyResidents = Math.round(residents * preset.keyGroupResidentShare);
  const perCentre = split(residents, centres.length);
  const keyPerCentre = split(keyResidents, centres.length);
  // Hypertension and type 2 diabetes split the key group 7 to 3 (an assumption), each resident in one of them.
  const hypertensive = (keyCount: number) => Math.round(keyCount * 0.7);
  const population: PlannedPopulation = {
    regionCode: options.regionCode,
    effectiveOn: dateOf(options.from - 100 * DAY),
    recordedAt: options.from - 99 * DAY + 9 * HOUR,
    residents,
    keyGroupResidents: keyResidents,
    byKeyGroup: {
      hypertension: keyPerCentre.reduce((n, k) => n + hypertensive(k), 0),
      'type-2-diabetes': keyPerCentre.reduce((n, k) => n + k - hypertensive(k), 0),
    },
    centres: centres.map((centreId, c) => ({
      centreId,
      residents: perCentre[c]!,
      keyGroupResidents: keyPerCentre[c]!,
    })),
  };

  // Signed residents per centre at the coverage figures; `chronic` are the key-group members among them.
  type Signed = { residentId: string; doctorId: string; centreId: string; chronic: KeyGroup | null };
  const signed: Signed[] = [];
  // The region's signed counts at the coverage figures, split over the centres as their catchments are.
  const signedKeyPerCentre = split(Math.round(keyResidents * preset.keyGroupCoverage), centres.length);
  const signedPerCentre = split(Math.round(residents * preset.coverage), centres.length);
  centres.forEach((centreId, c) => {
    const signedKey = signedKeyPerCentre[c]!;
    const signedAll = Math.max(signedKey, signedPerCentre[c]!);
    const hyper = Math.round(signedKey * 0.7);
    for (let k = 0; k < signedAll; k++) {
      signed.push({
        residentId: `rs-sim-c${c + 1}-${k + 1}`,
        doctorId: `fd-sim-c${c + 1}-${(k % DOCTORS_PER_CENTRE) + 1}`,
        centreId,
        chronic: k < hyper ? 'hypertension' : k < signedKey ? 'type-2-diabetes' : null,
      });
    }
  });

  // The people booked: each used booking a different resident, the chronic share from the signed key-group members
  // and the rest from the others; the 60-plus share by quota over them all.
  const used = Math.round(preset.bookings * options.scale);
  const chronicBooked = Math.round(used * preset.chronicShare);
  const chronicPool = shuffle(signed.filter((s) => s.chronic !== null));
  const otherPool = shuffle(signed.filter((s) => s.chronic === null));
  const cancellations = Math.round(used * CANCEL_SHARE);
  if (chronicPool.length < chronicBooked || otherPool.length < used - chronicBooked + cancellations) {
    throw new Error(`scale ${options.scale} signs too few residents for its bookings`);
  }
  const booked = shuffle([
    ...chronicPool.slice(0, chronicBooked),
    ...otherPool.splice(0, used - chronicBooked),
  ]);
  const age60 = new Set(
    shuffle([...booked])
      .slice(0, Math.round(used * preset.age60Share))
      .map((s) => s.residentId),
  );
  // The residents not booked are 60 or over at the booked people's rate (drawn, not a quota: no figure is stated).
  const groupsOf = (s: Signed): KeyGroup[] => {
    const over60 = booked.includes(s) ? age60.has(s.residentId) : rand() < preset.age60Share;
    return [...(over60 ? (['age-60-plus'] as const) : []), ...(s.chronic ? [s.chronic] : [])].sort();
  };
  const keyGroups = new Map(signed.map((s) => [s.residentId, groupsOf(s)]));
  const contracts: PlannedContract[] = signed.map((s) => {
    // Signed over the three months before the period (in force through it: the default term is a year).
    const day = midnight(options.from - between(10, 100) * DAY);
    return {
      residentId: s.residentId,
      doctorId: s.doctorId,
      centreId: s.centreId,
      regionCode: options.regionCode,
      startDate: dateOf(day),
      signedAt: day + between(8 * 60, 17 * 60) * MINUTE,
      keyGroups: keyGroups.get(s.residentId)!,
    };
  });

  // Sessions dated inside the period, none before its sixth day, so every booking falls in the period too.
  const firstDay = midnight(options.from) + BOOKING_WINDOW_DAYS * DAY;
  const days = Math.round((options.to - firstDay) / DAY);
  const perBlock = SLOTS_PER_BLOCK - 2;
  const blockCount = Math.max(1, Math.ceil(used / perBlock));
  const loads = split(used, blockCount);
  const cancelled = new Set(shuffle(Array.from({ length: blockCount }, (_, b) => b)).slice(0, cancellations));
  let next = 0;
  const blocks: PlannedSlotBlock[] = loads.map((load, b) => {
    const date = firstDay + between(0, days - 1) * DAY;
    const startTime = rand() < 0.5 ? '08:30' : '13:30';
    const start = date + (startTime === '08:30' ? 8 * 60 + 30 : 13 * 60 + 30) * MINUTE;
    const releasedAt = date - (BOOKING_WINDOW_DAYS + 1) * DAY + 16 * HOUR;
    const opensAt = Math.max(releasedAt, date - BOOKING_WINDOW_DAYS * DAY);
    const priorityUntil = Math.max(opensAt, start - PRIORITY_LAPSE_HOURS * HOUR);
    const reserved = Math.floor((SLOTS_PER_BLOCK * PRIORITY_SHARE_PERCENT) / 100);
    const drafts = booked.slice(next, next + load).map((s) => {
      const groups = keyGroups.get(s.residentId)!;
      const qualifies = groups.some((g) => PRIORITY_KEY_GROUPS.includes(g));
      // Residents without priority book once it has lapsed, so none is refused for a slot held for priority.
      const at = qualifies
        ? between(opensAt / MINUTE, (start - HOUR) / MINUTE) * MINUTE
        : between(priorityUntil / MINUTE + 1, (start - HOUR) / MINUTE) * MINUTE;
      const end: PlannedBooking['end'] =
        rand() < NO_SHOW_SHARE
          ? { kind: 'no-show', at: start + 3 * HOUR }
          : { kind: 'attended', at: start + between(10, 180) * MINUTE };
      return { s, groups, qualifies, at, end };
    });
    next += load;
    if (cancelled.has(b)) {
      // Booked after priority lapsed and cancelled before the cutoff, by a signed resident booked nowhere else.
      const s = otherPool.pop()!;
      const at = between(priorityUntil / MINUTE + 1, (start - 27 * HOUR) / MINUTE) * MINUTE;
      const end = { kind: 'cancelled' as const, at: at + 30 * MINUTE };
      drafts.push({ s, groups: keyGroups.get(s.residentId)!, qualifies: false, at, end });
    }
    drafts.sort((x, y) => x.at - y.at);
    // The rule as the decider applies it: a qualifying resident before the lapse takes a held slot while the reserve
    // is not yet filled by priority bookings (none is cancelled, so the count only grows).
    let priorityTaken = 0;
    const bookings = drafts.map(({ s, groups, qualifies, at, end }): PlannedBooking => {
      const priority = qualifies && at < priorityUntil && priorityTaken < reserved;
      if (priority) priorityTaken++;
      // Sessions whose start is after the period's end would stay booked; all start inside it here.
      return {
        residentId: s.residentId,
        doctorId: s.doctorId,
        centreId: s.centreId,
        at,
        priority,
        keyGroups: groups,
        end: end.at < options.to ? end : null,
      };
    });
    return {
      hospitalId: options.hospitals[b % options.hospitals.length]!,
      department: DEPARTMENTS[b % DEPARTMENTS.length]!,
      date: dateOf(date),
      startTime,
      start,
      count: SLOTS_PER_BLOCK,
      publishedAt: releasedAt - DAY + between(0, 6 * 60) * MINUTE,
      releasedAt,
      released: SLOTS_PER_BLOCK,
      bookings,
    };
  });
  return { population, contracts, blocks };
}
