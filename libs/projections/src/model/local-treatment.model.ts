/*
 * Local-treatment rates (docs/analytics.md); numerator and denominator always over the same population:
 *  - community share 基层诊疗量占比 = visits at primary institutions in the region ÷ all visits at institutions in the region;
 *  - residents' community share (Shanghai) = community visits by the region's residents ÷ all outpatient visits by them;
 *  - in-region rate 县域内就诊率 = visits by the region's residents inside the region ÷ all their visits.
 * A visit is an outpatient or emergency attendance (VisitRecorded); inpatient stays are not visits.
 */

export interface VisitRow {
  readonly visitId: string;
  readonly journeyId: string;
  readonly residenceRegion: string;
  readonly institutionId: string;
  readonly tier: string;
  readonly institutionRegion: string;
  readonly allianceId: string | null;
  readonly visitType: string;
  readonly occurredAt: number;
}

export interface Ratio {
  readonly numerator: number;
  readonly denominator: number;
  /** Percent, 2 decimals; null when the denominator is 0. */
  readonly rate: number | null;
}

export interface LocalTreatmentFigures {
  readonly communityShare: Ratio;
  readonly residentsCommunityShare: Ratio;
  readonly inRegionRate: Ratio;
}

export function ratio(numerator: number, denominator: number): Ratio {
  return {
    numerator,
    denominator,
    rate: denominator > 0 ? Math.round((numerator / denominator) * 10_000) / 100 : null,
  };
}

/** Figures for one region from visits either located in it or made by its residents. */
export function localTreatmentFigures(region: string, visits: readonly VisitRow[]): LocalTreatmentFigures {
  let inRegion = 0;
  let communityInRegion = 0;
  let residents = 0;
  let residentsOutpatient = 0;
  let residentsCommunityOutpatient = 0;
  let residentsInRegion = 0;
  for (const v of visits) {
    if (v.institutionRegion === region) {
      inRegion++;
      if (v.tier === 'community') communityInRegion++;
    }
    if (v.residenceRegion === region) {
      residents++;
      if (v.institutionRegion === region) residentsInRegion++;
      if (v.visitType === 'outpatient') {
        residentsOutpatient++;
        if (v.tier === 'community') residentsCommunityOutpatient++;
      }
    }
  }
  return {
    communityShare: ratio(communityInRegion, inRegion),
    residentsCommunityShare: ratio(residentsCommunityOutpatient, residentsOutpatient),
    inRegionRate: ratio(residentsInRegion, residents),
  };
}
