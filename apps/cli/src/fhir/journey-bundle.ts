import type { InstitutionSnapshot, OpenedJourneyState, ReferralRecord } from '@carepath/domain';
import type {
  Bundle,
  EncounterLocation,
  Reference,
  Resource,
  ResourceType,
  ServiceRequest,
  Task,
} from '@medplum/fhirtypes';

/*
 * A journey as a FHIR R4 Bundle (type collection), mapped as docs/domain.md, "FHIR mapping", says: Patient
 * (pseudonymous), Organizations, Locations (ward `wa`, bed `bd`), Encounters (AMB / EMER visits, IMP stays with
 * admit source, discharge disposition and location history, `reserved` for a held bed), ServiceRequest + Task per
 * referral, Procedure per surgery, CarePlan for rehab, EpisodeOfCare per institution involved. Pure: the caller
 * supplies the institutions' names; no names of people are ever exported (there are none to export).
 */
export interface InstitutionInfo extends InstitutionSnapshot {
  readonly name: string;
}

const V3_ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const ADMIT_SOURCE = 'http://terminology.hl7.org/CodeSystem/admit-source';
const DISCHARGE = 'http://terminology.hl7.org/CodeSystem/discharge-disposition';
const LOCATION_TYPE = 'http://terminology.hl7.org/CodeSystem/location-physical-type';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const PSEUDONYM = 'urn:carepath:pseudonymous-patient-id';

/** FHIR ids allow [A-Za-z0-9-.]{1,64}. */
const fhirId = (raw: string) => raw.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64);
/** A reference typed by what it points to, so each field takes only the kinds of resource FHIR allows there. */
const ref = <K extends ResourceType>(
  type: K,
  id: string,
): Reference<Extract<Resource, { resourceType: K }>> => ({
  reference: `${type}/${fhirId(id)}`,
});

/** FHIR instants need seconds and an offset; CarePath times are ISO-8601 with an offset already. */
const instant = (iso: string) => new Date(Date.parse(iso)).toISOString();

const DISPOSITIONS: Record<string, string> = {
  home: 'home',
  'other-institution': 'other-hcf',
  rehab: 'rehab',
  deceased: 'exp',
};

const TASK_STATUS: Record<ReferralRecord['status'], Task['status']> = {
  requested: 'requested',
  received: 'received',
  accepted: 'accepted',
  rejected: 'rejected',
  'in-progress': 'in-progress',
  completed: 'completed',
  cancelled: 'cancelled',
  expired: 'failed',
};

const REQUEST_STATUS: Record<ReferralRecord['status'], ServiceRequest['status']> = {
  requested: 'active',
  received: 'active',
  accepted: 'active',
  'in-progress': 'active',
  completed: 'completed',
  rejected: 'revoked',
  cancelled: 'revoked',
  expired: 'revoked',
};

export function journeyBundle(
  state: OpenedJourneyState,
  institutions: ReadonlyMap<string, InstitutionInfo>,
  exportedAt: string,
): Bundle {
  const resources: (Resource & { id: string })[] = [];
  const add = (r: Resource & { id: string }) => resources.push(r);
  const patientRef = ref('Patient', state.patientId);

  add({
    resourceType: 'Patient',
    id: fhirId(state.patientId),
    identifier: [{ system: PSEUDONYM, value: state.patientId }],
    address: [{ use: 'home', district: state.residenceRegion }],
  });

  const involved = new Set<string>();
  const touch = (institutionId: string) => involved.add(institutionId);
  for (const v of Object.values(state.visits)) touch(v.institution.institutionId);
  for (const r of Object.values(state.referrals)) {
    touch(r.from.institutionId);
    touch(r.to.institutionId);
  }
  for (const a of Object.values(state.admissions)) touch(a.institutionId);

  for (const id of [...involved].sort()) {
    const info = institutions.get(id);
    add({
      resourceType: 'Organization',
      id: fhirId(id),
      identifier: [{ system: 'urn:carepath:institution', value: id }],
      active: true,
      name: info?.name ?? id,
      type: [{ text: info?.tier ?? 'unknown' }],
      ...(info?.allianceId ? { partOf: ref('Organization', `alliance-${info.allianceId}`) } : {}),
      address: info ? [{ district: info.regionCode }] : undefined,
    });
  }
  const alliances = new Set(
    [...involved].map((id) => institutions.get(id)?.allianceId).filter((a): a is string => !!a),
  );
  for (const alliance of [...alliances].sort()) {
    add({
      resourceType: 'Organization',
      id: fhirId(`alliance-${alliance}`),
      name: `Medical alliance ${alliance}`,
      type: [{ text: 'medical-alliance' }],
    });
  }

  const locations = new Set<string>();
  const location = (institutionId: string, wardId: string, bedId: string | null) => {
    const wardKey = `${institutionId}.${wardId}`;
    if (!locations.has(wardKey)) {
      locations.add(wardKey);
      add({
        resourceType: 'Location',
        id: fhirId(wardKey),
        name: wardId,
        physicalType: { coding: [{ system: LOCATION_TYPE, code: 'wa', display: 'Ward' }] },
        managingOrganization: ref('Organization', institutionId),
      });
    }
    if (bedId === null) return ref('Location', wardKey);
    const bedKey = `${wardKey}.${bedId}`;
    if (!locations.has(bedKey)) {
      locations.add(bedKey);
      add({
        resourceType: 'Location',
        id: fhirId(bedKey),
        name: `${wardId} bed ${bedId}`,
        physicalType: { coding: [{ system: LOCATION_TYPE, code: 'bd', display: 'Bed' }] },
        partOf: ref('Location', wardKey),
        managingOrganization: ref('Organization', institutionId),
      });
    }
    return ref('Location', bedKey);
  };

  for (const v of Object.values(state.visits)) {
    add({
      resourceType: 'Encounter',
      id: fhirId(v.visitId),
      status: 'finished',
      class: { system: V3_ACT, code: v.visitType === 'emergency' ? 'EMER' : 'AMB' },
      subject: patientRef,
      period: { start: instant(v.occurredAt) },
      reasonCode: [{ coding: [{ system: ICD10, code: v.diagnosisCode }] }],
      serviceProvider: ref('Organization', v.institution.institutionId),
      ...(v.referralId ? { basedOn: [ref('ServiceRequest', v.referralId)] } : {}),
    });
  }

  for (const r of Object.values(state.referrals)) {
    add({
      resourceType: 'ServiceRequest',
      id: fhirId(r.referralId),
      status: REQUEST_STATUS[r.status],
      intent: 'order',
      category: [{ text: r.direction === 'up' ? 'upward-referral' : 'downward-referral' }],
      priority: r.priority === 'green-channel' ? 'stat' : r.priority === 'urgent' ? 'urgent' : 'routine',
      code: { text: `${r.setting} ${r.department}` },
      subject: patientRef,
      authoredOn: instant(r.requestedAt),
      requester: ref('Organization', r.from.institutionId),
      performer: [ref('Organization', r.to.institutionId)],
      reasonCode: [{ text: r.reasonCode }],
      ...(r.redirectedFromReferralId
        ? { replaces: [ref('ServiceRequest', r.redirectedFromReferralId)] }
        : {}),
    });
    add({
      resourceType: 'Task',
      id: fhirId(`task-${r.referralId}`),
      status: TASK_STATUS[r.status],
      intent: 'order',
      focus: ref('ServiceRequest', r.referralId),
      for: patientRef,
      authoredOn: instant(r.requestedAt),
      lastModified: instant(r.updatedAt),
      requester: ref('Organization', r.from.institutionId),
      owner: ref('Organization', r.to.institutionId),
      restriction: { period: { end: instant(r.deadline) } },
      ...(r.rejectionReason ? { statusReason: { text: r.rejectionReason } } : {}),
      ...(r.cancellationReason ? { statusReason: { text: r.cancellationReason } } : {}),
    });
  }

  for (const a of Object.values(state.admissions)) {
    const end = a.dischargedAt;
    const history: EncounterLocation[] = [
      {
        location: location(a.institutionId, a.wardId, a.bedId),
        status: a.status === 'discharged' ? 'completed' : 'active',
        period: { start: instant(a.admittedAt), ...(end ? { end: instant(end) } : {}) },
      },
    ];
    // A held bed while the patient is away (sequential ward): FHIR's `reserved` location status.
    for (const leave of a.leaves.filter((l) => l.bedHeld)) {
      history.push({
        location: location(a.institutionId, a.wardId, a.bedId),
        status: 'reserved',
        period: {
          start: instant(leave.startedAt),
          ...(leave.endedAt ? { end: instant(leave.endedAt) } : {}),
        },
      });
    }
    add({
      resourceType: 'Encounter',
      id: fhirId(a.admissionId),
      status: a.status === 'discharged' ? 'finished' : a.status === 'on-leave' ? 'onleave' : 'in-progress',
      class: { system: V3_ACT, code: 'IMP' },
      subject: patientRef,
      period: { start: instant(a.admittedAt), ...(end ? { end: instant(end) } : {}) },
      serviceProvider: ref('Organization', a.institutionId),
      ...(a.referralId ? { basedOn: [ref('ServiceRequest', a.referralId)] } : {}),
      hospitalization: {
        admitSource: { coding: [{ system: ADMIT_SOURCE, code: a.referralId ? 'hosp-trans' : 'gp' }] },
        ...(a.disposition
          ? { dischargeDisposition: { coding: [{ system: DISCHARGE, code: DISPOSITIONS[a.disposition] }] } }
          : {}),
        ...(a.destinationInstitutionId
          ? { destination: ref('Organization', a.destinationInstitutionId) }
          : {}),
      },
      location: history,
    });
  }

  for (const s of Object.values(state.surgeries)) {
    add({
      resourceType: 'Procedure',
      id: fhirId(s.surgeryId),
      status: 'completed',
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-9-cm', code: s.procedureCode }] },
      subject: patientRef,
      encounter: ref('Encounter', s.admissionId),
      performedDateTime: instant(s.occurredAt),
      performer: [{ actor: ref('Organization', s.institutionId) }],
    });
  }

  const rehab = Object.values(state.rehabSessions);
  if (rehab.length > 0) {
    add({
      resourceType: 'CarePlan',
      id: fhirId(`rehab-${state.journeyId}`),
      status: state.status === 'closed' ? 'completed' : 'active',
      intent: 'plan',
      category: [{ text: 'rehabilitation' }],
      subject: patientRef,
      activity: rehab.map((session) => ({
        detail: {
          status: 'completed',
          code: { text: session.therapyCode },
          scheduledString: session.occurredAt,
          performer: [ref('Organization', session.institutionId)],
        },
      })),
    });
  }

  for (const id of [...involved].sort()) {
    const times = [
      ...Object.values(state.visits)
        .filter((v) => v.institution.institutionId === id)
        .map((v) => v.occurredAt),
      ...Object.values(state.admissions)
        .filter((a) => a.institutionId === id)
        .flatMap((a) => [a.admittedAt, a.dischargedAt].filter((t): t is string => t !== null)),
    ].sort((x, y) => Date.parse(x) - Date.parse(y));
    add({
      resourceType: 'EpisodeOfCare',
      id: fhirId(`episode-${state.journeyId.slice(0, 20)}-${id}`),
      status: state.status === 'closed' ? 'finished' : 'active',
      patient: patientRef,
      managingOrganization: ref('Organization', id),
      ...(times.length > 0
        ? {
            period: {
              start: instant(times[0]!),
              ...(state.status === 'closed' ? { end: instant(times.at(-1)!) } : {}),
            },
          }
        : {}),
    });
  }

  return {
    resourceType: 'Bundle',
    id: fhirId(`journey-${state.journeyId}`),
    type: 'collection',
    timestamp: instant(exportedAt),
    entry: resources.map((resource) => ({
      fullUrl: `urn:carepath:${resource.resourceType}/${resource.id}`,
      resource: JSON.parse(JSON.stringify(resource)) as Resource,
    })),
  };
}
