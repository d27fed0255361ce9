import { localTreatmentFigures, ratio, type VisitRow } from './local-treatment.model';

/* Local-treatment rates (docs/analytics.md): numerator and denominator over the same population. */
let seq = 0;
const visit = (
  residenceRegion: string,
  institutionRegion: string,
  tier: string,
  visitType = 'outpatient',
): VisitRow => ({
  visitId: `v-${++seq}`,
  journeyId: `j-${seq}`,
  residenceRegion,
  institutionId: `${tier}-${institutionRegion}`,
  tier,
  institutionRegion,
  allianceId: null,
  visitType,
  occurredAt: 0,
});
const times = (n: number, make: () => VisitRow) => Array.from({ length: n }, make);

describe('local-treatment rates', () => {
  it('gives the community share of visits located in the region, whoever the patients are', () => {
    // In 310112: 65 community + 35 tertiary visits (10 of them by outsiders) = 65%.
    const visits = [
      ...times(65, () => visit('310112', '310112', 'community')),
      ...times(25, () => visit('310112', '310112', 'tertiary')),
      ...times(10, () => visit('310101', '310112', 'tertiary')),
    ];
    expect(localTreatmentFigures('310112', visits).communityShare).toEqual({
      numerator: 65,
      denominator: 100,
      rate: 65,
    });
  });

  it("gives residents' community share over residents' outpatient visits only (Shanghai's wording)", () => {
    // Residents: 389 community outpatient visits of 1000 outpatient visits anywhere = 38.9%; emergencies and an
    // outsider's community visit are outside this population.
    const visits = [
      ...times(389, () => visit('310000', '310000', 'community')),
      ...times(500, () => visit('310000', '310000', 'tertiary')),
      ...times(111, () => visit('310000', '320000', 'tertiary')),
      ...times(50, () => visit('310000', '310000', 'tertiary', 'emergency')),
      visit('320000', '310000', 'community'),
    ];
    expect(localTreatmentFigures('310000', visits).residentsCommunityShare).toEqual({
      numerator: 389,
      denominator: 1000,
      rate: 38.9,
    });
  });

  it("gives the in-region rate of the region's residents, inside over inside plus outside", () => {
    // Residents of the county: 90 visits inside, 10 outside = 90% (the county medical community target).
    const visits = [
      ...times(90, () => visit('510811', '510811', 'community')),
      ...times(10, () => visit('510811', '510802', 'tertiary')),
      visit('510802', '510811', 'secondary'),
    ];
    expect(localTreatmentFigures('510811', visits).inRegionRate).toEqual({
      numerator: 90,
      denominator: 100,
      rate: 90,
    });
  });

  it('reports no rate without a population', () => {
    expect(localTreatmentFigures('110105', [])).toEqual({
      communityShare: { numerator: 0, denominator: 0, rate: null },
      residentsCommunityShare: { numerator: 0, denominator: 0, rate: null },
      inRegionRate: { numerator: 0, denominator: 0, rate: null },
    });
    expect(ratio(2, 3)).toEqual({ numerator: 2, denominator: 3, rate: 66.67 });
  });
});
