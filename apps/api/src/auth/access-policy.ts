import { ROLES, type Role } from '@carepath/runtime';

/**
 * Who may do what: the one policy table (issue 17). Every route of the API has exactly one entry here, keyed by
 * its method and path as Nest declares it; the access guard enforces it, the OpenAPI document shows it (security
 * scheme and `x-roles` on each operation), docs/api.md reproduces it, and the matrix spec
 * (test/e2e/access-matrix.e2e-spec.ts) derives the status it expects for every route, role and institution from it.
 * A route missing here refuses to start the app (openapi-policy.ts) and fails closed in the guard.
 */

/**
 * What is checked besides the role:
 * - `public`: no token (health probes);
 * - `role`: the role alone (directory reads, aggregate analytics, operations);
 * - `own-institution`: the `:institutionId` of the path is the institution the actor acts for;
 * - `journey-read`: a care relationship with the journey (care-relationship.ts), an auditor, or break-glass; the
 *   reason is required and the read is written to the access log before the answer is sent;
 * - `journey-search`: the answer lists only journeys the reader may read as `journey-read` says, each written to the
 *   access log; one it may not read is left out (never a 403 that would tell it exists);
 * - `journey-write`: the acting institution takes part in the journey, unless the command itself brings it in (a
 *   visit, an admission or a rehab session at one's own institution); corrections and voids need a role that may
 *   record the fact they amend. The decider then checks the side (only the receiving institution accepts, ...).
 */
export type AccessScope =
  'public' | 'role' | 'own-institution' | 'journey-read' | 'journey-search' | 'journey-write';

export interface RoutePolicy {
  readonly roles: readonly Role[];
  readonly scope: AccessScope;
}

/** Clinical staff who record a patient's arrival and the facts of a stay. */
const CARE: readonly Role[] = ['doctor', 'nurse', 'family-doctor', 'coordinator', 'system'];
/** Decisions: referrals asked for, accepted, rejected, completed or cancelled, discharges, closing. */
const DECIDE: readonly Role[] = ['doctor', 'family-doctor', 'coordinator', 'system'];
/** Who may read a patient's record when their institution takes part in the journey (auditors: any journey). */
const READ_RECORD: readonly Role[] = [
  'doctor',
  'nurse',
  'family-doctor',
  'coordinator',
  'registrar',
  'auditor',
];
/** Signing residents and booking slots for them: the family-doctor team of a community centre. */
const FAMILY_DOCTORING: readonly Role[] = ['family-doctor', 'coordinator', 'system'];
/** A hospital's outpatient office publishes and releases its clinic sessions. */
const OUTPATIENT_OFFICE: readonly Role[] = ['coordinator', 'admin', 'system'];
/** Who records at the clinic whether a booked resident came. */
const SLOT_OUTCOME: readonly Role[] = ['doctor', 'nurse', 'registrar', 'coordinator', 'system'];

/** Who reads an institution's notifications and the health of its webhooks. */
const NOTIFIED: readonly Role[] = ['coordinator', 'doctor', 'family-doctor', 'admin'];
/** Registering where another system is told is configuration: the institution's coordinators and administrators. */
const WEBHOOK_ADMIN: readonly Role[] = ['coordinator', 'admin'];

const J = '/journeys/:journeyId';
const write = (roles: readonly Role[]): RoutePolicy => ({ roles, scope: 'journey-write' });

export const POLICY: Readonly<Record<string, RoutePolicy>> = {
  'GET /health': { roles: [], scope: 'public' },
  'GET /health/live': { roles: [], scope: 'public' },
  'GET /health/ready': { roles: [], scope: 'public' },

  // The console's sign-in (docs/console.md): no token yet, so public, each attempt spending the client address's
  // rate budget in the controller; the session read needs the session (or any bearer token).
  'GET /console/auth/config': { roles: [], scope: 'public' },
  'POST /console/auth/sessions': { roles: [], scope: 'public' },
  'POST /console/auth/oidc/start': { roles: [], scope: 'public' },
  'POST /console/auth/oidc/callback': { roles: [], scope: 'public' },
  'POST /console/auth/logout': { roles: [], scope: 'public' },
  'GET /console/auth/session': { roles: ROLES, scope: 'role' },

  'POST /institutions': { roles: ['admin', 'system'], scope: 'role' },
  'GET /institutions': { roles: ROLES, scope: 'role' },
  'GET /institutions/:institutionId': { roles: ROLES, scope: 'role' },
  'GET /institutions/:institutionId/events': { roles: ['admin'], scope: 'own-institution' },
  'POST /institutions/:institutionId/events/:eventId/entered-in-error': {
    roles: ['admin', 'system'],
    scope: 'own-institution',
  },
  'POST /institutions/:institutionId/wards': { roles: ['admin', 'system'], scope: 'own-institution' },
  'POST /institutions/:institutionId/wards/:wardId/bed-count': {
    roles: ['admin', 'system'],
    scope: 'own-institution',
  },

  'POST /journeys': write(['doctor', 'nurse', 'family-doctor', 'coordinator', 'registrar', 'system']),
  'GET /journeys': { roles: READ_RECORD, scope: 'journey-search' },
  [`GET ${J}`]: { roles: READ_RECORD, scope: 'journey-read' },
  [`GET ${J}/timeline`]: { roles: READ_RECORD, scope: 'journey-read' },
  [`GET ${J}/events`]: { roles: READ_RECORD, scope: 'journey-read' },
  [`POST ${J}/visits`]: write(['doctor', 'nurse', 'family-doctor', 'coordinator', 'registrar', 'system']),
  [`POST ${J}/referrals`]: write(DECIDE),
  [`POST ${J}/referrals/:referralId/receive`]: write(CARE),
  [`POST ${J}/referrals/:referralId/accept`]: write(DECIDE),
  [`POST ${J}/referrals/:referralId/reject`]: write(DECIDE),
  [`POST ${J}/referrals/:referralId/complete`]: write(DECIDE),
  [`POST ${J}/referrals/:referralId/cancel`]: write(DECIDE),
  [`POST ${J}/referrals/:referralId/expire`]: write(['coordinator', 'system']),
  // The care processes' human acts (docs/domain.md, "Care processes"): the referring side (or the escalation's
  // alliance) acknowledges an outcome; the holding hospital answers a proposal; the owing centre records a follow-up.
  [`POST ${J}/referrals/:referralId/acknowledge`]: write(['coordinator', 'doctor', 'family-doctor']),
  [`POST ${J}/proposals/:proposalId/accept`]: write(DECIDE),
  [`POST ${J}/proposals/:proposalId/decline`]: write(DECIDE),
  [`POST ${J}/follow-ups/:followUpId/complete`]: write(CARE),
  [`POST ${J}/admissions`]: write(CARE),
  [`POST ${J}/admissions/:admissionId/leave`]: write(CARE),
  [`POST ${J}/admissions/:admissionId/return`]: write(CARE),
  [`POST ${J}/admissions/:admissionId/move`]: write(CARE),
  [`POST ${J}/admissions/:admissionId/discharge`]: write(DECIDE),
  [`POST ${J}/surgeries`]: write(['doctor', 'system']),
  [`POST ${J}/rehab-sessions`]: write(['doctor', 'nurse', 'family-doctor', 'system']),
  [`POST ${J}/close`]: write(DECIDE),
  [`POST ${J}/events/:eventId/entered-in-error`]: write([
    'doctor',
    'nurse',
    'family-doctor',
    'coordinator',
    'registrar',
    'system',
  ]),
  [`POST ${J}/events/:eventId/corrections`]: write([
    'doctor',
    'nurse',
    'family-doctor',
    'coordinator',
    'registrar',
    'system',
  ]),

  // Family-doctor contracts and specialist slots (docs/family-doctors.md): the paths name no institution; the
  // deciders check that the acting one is the centre or hospital responsible (422 ACTING_INSTITUTION_MISMATCH).
  'POST /family-doctors/contracts': { roles: FAMILY_DOCTORING, scope: 'role' },
  'POST /family-doctors/contracts/:residentId/renew': { roles: FAMILY_DOCTORING, scope: 'role' },
  'POST /family-doctors/contracts/:residentId/transfer': { roles: FAMILY_DOCTORING, scope: 'role' },
  'POST /family-doctors/contracts/:residentId/key-groups': { roles: FAMILY_DOCTORING, scope: 'role' },
  'POST /family-doctors/contracts/:residentId/end': { roles: FAMILY_DOCTORING, scope: 'role' },
  'GET /family-doctors/residents/:residentId': { roles: FAMILY_DOCTORING, scope: 'role' },
  'POST /slot-blocks': { roles: OUTPATIENT_OFFICE, scope: 'role' },
  'POST /slot-blocks/:blockId/releases': { roles: OUTPATIENT_OFFICE, scope: 'role' },
  'POST /slot-blocks/:blockId/bookings': { roles: FAMILY_DOCTORING, scope: 'role' },
  'POST /slot-blocks/:blockId/bookings/:bookingId/cancel': { roles: FAMILY_DOCTORING, scope: 'role' },
  'POST /slot-blocks/:blockId/bookings/:bookingId/attended': { roles: SLOT_OUTCOME, scope: 'role' },
  'POST /slot-blocks/:blockId/bookings/:bookingId/no-show': { roles: SLOT_OUTCOME, scope: 'role' },
  'GET /slot-blocks/:blockId': {
    roles: ['family-doctor', 'coordinator', 'doctor', 'nurse', 'registrar', 'analyst', 'admin', 'system'],
    scope: 'role',
  },

  'GET /worklists/:institutionId': {
    roles: ['coordinator', 'doctor', 'nurse', 'family-doctor'],
    scope: 'own-institution',
  },
  // Escalations on it are shown to coordinators only (docs/worklists.md, "Action required").
  'GET /worklists/:institutionId/action-required': {
    roles: ['coordinator', 'doctor', 'nurse', 'family-doctor'],
    scope: 'own-institution',
  },
  'GET /analytics/ward-occupancy': { roles: ['analyst', 'coordinator', 'admin'], scope: 'role' },
  'GET /analytics/ward-occupancy/live': { roles: ['analyst', 'coordinator', 'admin'], scope: 'role' },
  'GET /analytics/referrals': { roles: ['analyst', 'coordinator', 'admin'], scope: 'role' },
  'GET /analytics/referrals/downward-kpi': { roles: ['analyst', 'coordinator', 'admin'], scope: 'role' },
  'GET /analytics/referrals/transfer-proposals': {
    roles: ['analyst', 'coordinator', 'admin'],
    scope: 'role',
  },
  'GET /analytics/referrals/follow-ups': { roles: ['analyst', 'coordinator', 'admin'], scope: 'role' },
  'GET /analytics/local-treatment': { roles: ['analyst', 'coordinator', 'admin'], scope: 'role' },
  // Issue 19's reads (docs/analytics.md, "Family-doctor coverage", "Slot use"); a region's population is reference
  // data, recorded like an institution's registration.
  'GET /analytics/family-doctor-coverage': { roles: ['analyst', 'coordinator', 'admin'], scope: 'role' },
  'GET /analytics/slot-use': { roles: ['analyst', 'coordinator', 'admin'], scope: 'role' },
  'GET /family-doctors/:doctorId/panel': { roles: ['family-doctor', 'coordinator'], scope: 'role' },
  'GET /family-doctors/:doctorId/bookings': { roles: ['family-doctor', 'coordinator'], scope: 'role' },
  'GET /slots/available': { roles: ['family-doctor', 'coordinator'], scope: 'role' },
  'POST /regions/:regionCode/population': { roles: ['admin', 'system'], scope: 'role' },
  // Notifications (docs/notifications.md): the paths name no institution; every route reads or writes the caller's
  // own institution's feed and endpoints only (the acting institution of the token), so the role is the check.
  'GET /notifications': { roles: NOTIFIED, scope: 'role' },
  'GET /notifications/stream': { roles: NOTIFIED, scope: 'role' },
  'GET /webhooks': { roles: NOTIFIED, scope: 'role' },
  'GET /webhooks/:webhookId/deliveries': { roles: NOTIFIED, scope: 'role' },
  'POST /webhooks': { roles: WEBHOOK_ADMIN, scope: 'role' },
  'POST /webhooks/:webhookId/rotate-secret': { roles: WEBHOOK_ADMIN, scope: 'role' },
  'DELETE /webhooks/:webhookId': { roles: WEBHOOK_ADMIN, scope: 'role' },
  // Holiday calendars are reference data (docs/holidays.md): anyone reads them, operators load a year.
  'GET /calendars/:calendarId': { roles: ROLES, scope: 'role' },
  'PUT /calendars/:calendarId/years/:year': { roles: ['admin', 'system'], scope: 'role' },

  'GET /projections': { roles: ['admin', 'auditor'], scope: 'role' },
  'GET /processes': { roles: ['admin', 'auditor'], scope: 'role' },
  'POST /projections/:name/rebuild': { roles: ['admin'], scope: 'role' },
  'POST /projections/:name/resume': { roles: ['admin'], scope: 'role' },

  'GET /audit/verify': { roles: ['auditor'], scope: 'role' },
  'GET /audit/access': { roles: ['auditor'], scope: 'role' },
  // Signing is an operator's act (admin); auditors take checkpoints to keep outside the system.
  'GET /audit/checkpoint': { roles: ['admin', 'auditor'], scope: 'role' },
};

/**
 * A correction or a void rewrites what a fact says, so it needs a role that may record that fact: a registrar
 * corrects a visit's date, never a discharge's disposition. Keyed by the stored event type.
 */
const FACT_ROUTE: Readonly<Record<string, string>> = {
  JourneyOpened: 'POST /journeys',
  VisitRecorded: `POST ${J}/visits`,
  UpwardReferralRequested: `POST ${J}/referrals`,
  DownwardReferralRequested: `POST ${J}/referrals`,
  ReferralReceived: `POST ${J}/referrals/:referralId/receive`,
  ReferralAccepted: `POST ${J}/referrals/:referralId/accept`,
  ReferralRejected: `POST ${J}/referrals/:referralId/reject`,
  ReferralCompleted: `POST ${J}/referrals/:referralId/complete`,
  ReferralCancelled: `POST ${J}/referrals/:referralId/cancel`,
  ReferralExpired: `POST ${J}/referrals/:referralId/expire`,
  ReferralOutcomeAcknowledged: `POST ${J}/referrals/:referralId/acknowledge`,
  DownwardTransferProposalAccepted: `POST ${J}/proposals/:proposalId/accept`,
  DownwardTransferProposalDeclined: `POST ${J}/proposals/:proposalId/decline`,
  FollowUpCompleted: `POST ${J}/follow-ups/:followUpId/complete`,
  PatientAdmitted: `POST ${J}/admissions`,
  LeaveStarted: `POST ${J}/admissions/:admissionId/leave`,
  LeaveEnded: `POST ${J}/admissions/:admissionId/return`,
  PatientMovedWard: `POST ${J}/admissions/:admissionId/move`,
  SurgeryRecorded: `POST ${J}/surgeries`,
  RehabSessionRecorded: `POST ${J}/rehab-sessions`,
  PatientDischarged: `POST ${J}/admissions/:admissionId/discharge`,
  JourneyClosed: `POST ${J}/close`,
};

/** Roles that may amend a stored fact of this type; an unknown type is left to the deciding roles. */
export function rolesToAmend(eventType: string): readonly Role[] {
  const route = Object.hasOwn(FACT_ROUTE, eventType) ? FACT_ROUTE[eventType] : undefined;
  return (route && POLICY[route]?.roles) || DECIDE;
}

/** `GET /journeys/:journeyId`: the key of a route in POLICY. */
export const routeKey = (method: string, path: string): string =>
  `${method.toUpperCase()} /${path.split('/').filter(Boolean).join('/')}`;

export function policyFor(method: string, path: string): RoutePolicy | undefined {
  const key = routeKey(method, path);
  return Object.hasOwn(POLICY, key) ? POLICY[key] : undefined;
}

/** Roles that may read a journey outside their care relationship, with the reason `emergency` and a justification. */
export const BREAK_GLASS_ROLES: readonly Role[] = ['doctor', 'nurse', 'family-doctor', 'coordinator'];

/** The policy as one line per route, for docs/api.md and the OpenAPI descriptions. */
export function describePolicy(policy: RoutePolicy): string {
  if (policy.scope === 'public') return 'public (no token)';
  const roles = policy.roles.length === ROLES.length ? 'any role' : policy.roles.join(', ');
  const scope: Record<AccessScope, string> = {
    public: '',
    role: '',
    'own-institution': "; the path's institution must be the actor's",
    'journey-read':
      '; care relationship (auditors: any journey), or break-glass with reason emergency and a justification; logged',
    'journey-search': '; only the journeys a journey read would show (others left out); each one logged',
    'journey-write': '; the acting institution must take part in the journey, or the command brings it in',
  };
  return `${roles}${scope[policy.scope]}`;
}
