import { COVERAGE_KEY_GROUPS, inCoverageKeyGroup, KEY_GROUPS, type KeyGroup } from '@carepath/domain';
import type { Ratio } from '@carepath/projections';
import type { PlannedBooking } from './family-doctor.plan';
import { type Plan } from './simulation.plan';

/*
 * The family-doctor figures the plan makes true, with the simulator's own arithmetic: coverage on a date by region,
 * centre and alliance (docs/analytics.md, "Family-doctor coverage"), and slot use by hospital over the plan's
 * months (docs/analytics.md, "Slot use").
 */

/** Signed ÷ population; null population (none recorded for the group) leaves the rate null. */
export interface CoverageTerms {
  readonly signed: number;
  readonly population: number | null;
  readonly rate: number | null;
}

export interface CoverageFigures {
  readonly coverage: CoverageTerms;
  readonly keyGroupCoverage: CoverageTerms;
  /** Each coverage key group's rate, by region only (populations per group are given per region). */
  readonly byKeyGroup: Readonly<Partial<Record<KeyGroup, CoverageTerms>>>;
}

export interface SlotUseTruth {
  readonly allianceId: string | null;
  readonly utilisation: Ratio;
  readonly noShowRate: Ratio;
  readonly priorityShare: Ratio;
  readonly signedShare: Ratio;
  readonly keyGroupShare: Readonly<Record<KeyGroup, Ratio>>;
}

export interface FamilyDoctorTruth {
  /** Coverage is counted on the last day of the plan's months. */
  readonly coverage: {
    readonly on: string;
    readonly byRegion: Readonly<Record<string, CoverageFigures>>;
    readonly byCentre: Readonly<Record<string, CoverageFigures>>;
    readonly byAlliance: Readonly<Record<string, CoverageFigures>>;
  };
  /** Hospital → slot use for sessions dated in the plan's months. */
  readonly slotUse: Readonly<Record<string, SlotUseTruth>>;
}

/** The last day of the last month (YYYY-MM-DD): the date coverage is counted on. */
export function coverageDay(months: readonly string[]): string {
  const [y, m] = months[months.length - 1]!.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

export function familyDoctorTruth(
  plan: Plan,
  ratio: (numerator: number, denominator: number) => Ratio,
): FamilyDoctorTruth {
  const on = coverageDay(plan.months);
  const fd = plan.familyDoctors;
  if (fd === null) return { coverage: { on, byRegion: {}, byCentre: {}, byAlliance: {} }, slotUse: {} };
  const allianceOf = new Map(plan.institutions.map((i) => [i.institutionId, i.allianceId]));
  const terms = (signed: number, population: number | null): CoverageTerms => ({
    signed,
    population,
    rate: population === null ? null : ratio(signed, population).rate,
  });
  // In force on `on`: started by then and not yet at the end of its one-year term.
  const inForce = fd.contracts.filter((c) => {
    const end = `${Number(c.startDate.slice(0, 4)) + 1}${c.startDate.slice(4)}`;
    return c.startDate <= on && on < end;
  });
  const pop = fd.population;
  const group = (
    key: (c: (typeof inForce)[number]) => string,
    populations: ReadonlyMap<string, { residents: number; keyGroupResidents: number }>,
    perGroup: boolean,
  ): Record<string, CoverageFigures> => {
    const keys = [...new Set([...inForce.map(key), ...populations.keys()])].sort();
    return Object.fromEntries(
      keys.map((k) => {
        const signed = inForce.filter((c) => key(c) === k);
        const population = populations.get(k);
        const byKeyGroup: Partial<Record<KeyGroup, CoverageTerms>> = {};
        if (perGroup) {
          for (const g of COVERAGE_KEY_GROUPS) {
            byKeyGroup[g] = terms(
              signed.filter((c) => c.keyGroups.includes(g)).length,
              pop.byKeyGroup[g] ?? null,
            );
          }
        }
        return [
          k,
          {
            coverage: terms(signed.length, population?.residents ?? null),
            keyGroupCoverage: terms(
              signed.filter((c) => inCoverageKeyGroup(c.keyGroups)).length,
              population?.keyGroupResidents ?? null,
            ),
            byKeyGroup,
          },
        ];
      }),
    );
  };
  const alliances = new Map<string, { residents: number; keyGroupResidents: number }>();
  for (const c of pop.centres) {
    const a = allianceOf.get(c.centreId)!;
    const sum = alliances.get(a) ?? { residents: 0, keyGroupResidents: 0 };
    alliances.set(a, {
      residents: sum.residents + c.residents,
      keyGroupResidents: sum.keyGroupResidents + c.keyGroupResidents,
    });
  }
  const coverage = {
    on,
    byRegion: group((c) => c.regionCode, new Map([[pop.regionCode, pop]]), true),
    byCentre: group((c) => c.centreId, new Map(pop.centres.map((c) => [c.centreId, c])), false),
    byAlliance: group((c) => allianceOf.get(c.centreId)!, alliances, false),
  };

  const from = `${plan.months[0]}-01`;
  const slotUse: Record<string, SlotUseTruth> = {};
  const hospitals = [...new Set(fd.blocks.map((b) => b.hospitalId))].sort();
  for (const hospitalId of hospitals) {
    const blocks = fd.blocks.filter((b) => b.hospitalId === hospitalId && b.date >= from && b.date <= on);
    if (blocks.length === 0) continue;
    const bookings: PlannedBooking[] = blocks.flatMap((b) => b.bookings);
    const used = bookings.filter((b) => b.end?.kind !== 'cancelled');
    const closed = used.filter((b) => b.end !== null);
    const people = new Map<string, Set<KeyGroup>>();
    for (const b of used) {
      const groups = people.get(b.residentId) ?? new Set<KeyGroup>();
      for (const g of b.keyGroups) groups.add(g);
      people.set(b.residentId, groups);
    }
    const everyone = [...people.values()];
    slotUse[hospitalId] = {
      allianceId: allianceOf.get(hospitalId) ?? null,
      utilisation: ratio(
        used.length,
        blocks.reduce((n, b) => n + b.released, 0),
      ),
      noShowRate: ratio(closed.filter((b) => b.end?.kind === 'no-show').length, closed.length),
      priorityShare: ratio(used.filter((b) => b.priority).length, used.length),
      // Every resident the plan books is signed (booked by the doctor they signed with).
      signedShare: ratio(everyone.length, everyone.length),
      keyGroupShare: Object.fromEntries(
        KEY_GROUPS.map((g) => [g, ratio(everyone.filter((p) => p.has(g)).length, everyone.length)]),
      ) as Record<KeyGroup, Ratio>,
    };
  }
  return { coverage, slotUse };
}
