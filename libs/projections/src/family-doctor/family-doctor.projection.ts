import type { ReadModelWrites } from '../runtime/read-model-writes';
import {
  familyDoctorContractDecider,
  familyDoctorContractStreamId,
  regionPopulationDecider,
  regionPopulationStreamId,
} from '@carepath/domain';
import type { StoredEvent } from '@carepath/event-store';
import {
  type CatchmentRow,
  type ContractSegment,
  populationRows,
  type PopulationFigureRow,
  residentSegments,
} from '../model/family-doctor.model';
import { flag, integer, named, nullable, readModelTable, text } from '../runtime/read-model-table';
import { streamKind, streamProjection, streamTable } from '../runtime/stream-projection';
import { institutionsTable } from '../ward-occupancy/ward-occupancy.projection';

export const contractSegmentsTable = readModelTable<ContractSegment>(
  'contract_segments',
  {
    residentId: text,
    contractId: text,
    from: named('from_date', text),
    to: named('to_date', text),
    doctorId: text,
    centreId: text,
    allianceId: nullable(text),
    residenceRegion: text,
    keyGroups: text,
    inKeyGroup: flag,
  },
  {
    primaryKey: ['contractId', 'from'],
    indexes: {
      contract_segments_by_resident: ['residentId'],
      contract_segments_by_doctor: ['doctorId', 'from'],
      contract_segments_by_date: ['from', 'to'],
    },
  },
);

export const populationFiguresTable = readModelTable<PopulationFigureRow>(
  'population_figures',
  {
    regionCode: text,
    effectiveOn: text,
    residents: integer,
    keyGroupResidents: integer,
    byKeyGroup: text,
    source: text,
  },
  { primaryKey: ['regionCode', 'effectiveOn'] },
);

export const catchmentsTable = readModelTable<CatchmentRow>(
  'catchments',
  { regionCode: text, effectiveOn: text, centreId: text, residents: integer, keyGroupResidents: integer },
  { primaryKey: ['regionCode', 'effectiveOn', 'centreId'] },
);

/**
 * Keeps each institution's tier, alliance and region from its registration; ward facts are not needed here. As
 * ward occupancy keeps them (the same table declaration), so an alliance means the same in every read model.
 */
export function registeredInstitutions(writes: ReadModelWrites): (event: StoredEvent) => void {
  return (event) => {
    if (event.type !== 'InstitutionRegistered') return;
    const d = event.data as Record<string, unknown>;
    writes.upsert(institutionsTable, {
      institutionId: String(d.institutionId),
      tier: String(d.tier),
      allianceId: typeof d.allianceId === 'string' ? d.allianceId : null,
      regionCode: String(d.regionCode),
    });
  };
}

/**
 * Family-doctor contracts as dated segments (each doctor's panel, and who is signed on a date, where), and the
 * regions' populations they are counted against (docs/family-doctors.md, "Coverage"; docs/analytics.md,
 * "Family-doctor coverage").
 */
export const familyDoctorProjection = streamProjection({
  name: 'family-doctor',
  version: 1,
  kinds: [
    streamKind({
      prefix: familyDoctorContractStreamId(''),
      ...familyDoctorContractDecider,
      tables: [streamTable(contractSegmentsTable, 'residentId')],
      derive: (state) => [residentSegments(state)],
    }),
    streamKind({
      prefix: regionPopulationStreamId(''),
      ...regionPopulationDecider,
      tables: [streamTable(populationFiguresTable, 'regionCode'), streamTable(catchmentsTable, 'regionCode')],
      derive: (state) => populationRows(state),
    }),
  ],
  referenceTables: [institutionsTable],
  institutions: registeredInstitutions,
});
