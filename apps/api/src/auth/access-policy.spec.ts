import type { JourneyState } from '@carepath/domain';
import { parseTtl, ROLES } from '@carepath/runtime';
import { POLICY, policyFor, rolesToAmend, routeKey } from './access-policy';
import { careInstitutions, readBasis, writeRefusal } from './care-relationship';
import { RateLimiter } from './rate-limiter';

/** A journey state as the fold leaves it, with only what scoping reads (ids are records keyed by id). */
function journey(parts: {
  visits?: string[];
  referrals?: [string, string][];
  admissions?: string[];
  recordedBy?: string[];
}): JourneyState {
  const record = <T>(items: T[]) => Object.fromEntries(items.map((v, i) => [`id-${i}`, v]));
  return {
    status: 'open',
    journeyId: 'j',
    patientId: 'pt-00000001',
    residenceRegion: '110105',
    openedAt: '2026-03-01T09:00:00+08:00',
    closedAt: null,
    visits: record((parts.visits ?? []).map((id) => ({ institution: { institutionId: id } }))),
    referrals: record(
      (parts.referrals ?? []).map(([from, to]) => ({
        from: { institutionId: from },
        to: { institutionId: to },
      })),
    ),
    admissions: record((parts.admissions ?? []).map((id) => ({ institutionId: id }))),
    surgeries: {},
    rehabSessions: {},
    facts: (parts.recordedBy ?? []).map((id, i) => ({
      eventId: `e${i}`,
      type: 'VisitRecorded',
      recordedBy: id,
      status: 'as-recorded',
    })),
  } as unknown as JourneyState;
}

describe('the access policy', () => {
  it('spells every route key as the guard and the OpenAPI document build it', () => {
    expect(routeKey('get', 'journeys/:journeyId/')).toBe('GET /journeys/:journeyId');
    expect(routeKey('POST', '/')).toBe('POST /');
    for (const key of Object.keys(POLICY)) expect(key).toBe(routeKey(key.split(' ')[0]!, key.split(' ')[1]!));
  });

  it("knows only the nine roles, and no route but the health probes and the console's sign-in is public", () => {
    for (const [key, policy] of Object.entries(POLICY)) {
      for (const role of policy.roles) expect(ROLES).toContain(role);
      expect({ key, public: policy.scope === 'public' }).toEqual({
        key,
        public:
          key.startsWith('GET /health') ||
          (key.includes(' /console/auth/') && key !== 'GET /console/auth/session'),
      });
      if (policy.scope !== 'public')
        expect({ key, roles: policy.roles.length }).not.toEqual({ key, roles: 0 });
    }
  });

  it('states the rules of issue 17', () => {
    const roles = (method: string, path: string) => policyFor(method, path)?.roles ?? [];
    // Registration, wards, rebuilds: admin (and the service account for the feeds); checkpoints: admin.
    expect(roles('POST', '/institutions')).toEqual(['admin', 'system']);
    expect(policyFor('POST', '/institutions/:institutionId/wards')).toEqual({
      roles: ['admin', 'system'],
      scope: 'own-institution',
    });
    expect(roles('POST', '/projections/:name/rebuild')).toEqual(['admin']);
    expect(roles('POST', '/projections/:name/resume')).toEqual(['admin']);
    expect(roles('GET', '/audit/checkpoint')).toContain('admin');
    // The audit routes are an auditor's.
    expect(roles('GET', '/audit/verify')).toEqual(['auditor']);
    expect(roles('GET', '/audit/access')).toEqual(['auditor']);
    // Analytics: analyst, coordinator or admin; analysts read no journey, timeline or worklist.
    for (const path of Object.keys(POLICY).filter((k) => k.startsWith('GET /analytics'))) {
      expect(POLICY[path]!.roles).toEqual(['analyst', 'coordinator', 'admin']);
    }
    for (const path of [
      '/journeys/:journeyId',
      '/journeys/:journeyId/timeline',
      '/journeys/:journeyId/events',
    ]) {
      expect(roles('GET', path)).not.toContain('analyst');
      expect(roles('GET', path)).not.toContain('system');
      expect(roles('GET', path)).not.toContain('admin');
    }
    expect(roles('GET', '/worklists/:institutionId')).not.toContain('analyst');
    // Clinical facts need clinical or coordinating roles: never a registrar, an analyst or an admin.
    for (const fact of [
      'admissions',
      'admissions/:admissionId/discharge',
      'surgeries',
      'referrals/:referralId/accept',
    ]) {
      const allowed = roles('POST', `/journeys/:journeyId/${fact}`);
      for (const role of ['registrar', 'analyst', 'admin', 'auditor'] as const)
        expect(allowed).not.toContain(role);
    }
  });

  it('lets a role amend only the facts it may record', () => {
    expect(rolesToAmend('VisitRecorded')).toContain('registrar');
    expect(rolesToAmend('PatientDischarged')).not.toContain('registrar');
    expect(rolesToAmend('SurgeryRecorded')).toEqual(['doctor', 'system']);
    expect(rolesToAmend('SomethingNew')).not.toContain('registrar');
  });
});

describe('institution scoping', () => {
  const chcOnly = journey({ visits: ['CHC'], recordedBy: ['CHC'] });
  const referred = journey({ visits: ['CHC'], referrals: [['CHC', 'HOSP']], recordedBy: ['CHC'] });

  it('finds the institutions in a care relationship: visits, referrals from and to, stays, recorders', () => {
    expect([...careInstitutions(chcOnly)]).toEqual(['CHC']);
    expect([...careInstitutions(referred)].sort()).toEqual(['CHC', 'HOSP']);
    expect([...careInstitutions(journey({ admissions: ['H2'], recordedBy: ['H3'] }))].sort()).toEqual([
      'H2',
      'H3',
    ]);
    expect(careInstitutions({ status: 'not-opened' }).size).toBe(0);
  });

  it('reads: participants, auditors anywhere, break-glass with emergency and a justification only', () => {
    const reader = (
      role: string,
      institutionId: string,
      reason = 'treatment',
      justification: string | null = null,
    ) => readBasis({ role: role as never, institutionId, reason, justification }, careInstitutions(referred));
    expect(reader('doctor', 'HOSP')).toBe('care-relationship');
    expect(reader('doctor', 'OTHER')).toBeNull();
    expect(reader('doctor', 'OTHER', 'emergency')).toBeNull();
    expect(reader('doctor', 'OTHER', 'emergency', 'ED-42')).toBe('break-glass');
    expect(reader('registrar', 'OTHER', 'emergency', 'ED-42')).toBeNull();
    expect(reader('auditor', 'OTHER', 'audit')).toBe('audit');
  });

  it('writes: participants, or a command that brings its own institution in; amends by a role that may record', () => {
    const writer = (institutionId: string, role = 'doctor') => ({ role: role as never, institutionId });
    expect(writeRefusal(writer('OTHER'), 'CloseJourney', chcOnly)).toMatch(/takes no part/);
    expect(writeRefusal(writer('OTHER'), 'AcceptReferral', chcOnly)).toMatch(/takes no part/);
    expect(writeRefusal(writer('OTHER'), 'RecordVisit', chcOnly)).toBeNull();
    expect(writeRefusal(writer('OTHER'), 'AdmitPatient', chcOnly)).toBeNull();
    expect(writeRefusal(writer('HOSP'), 'AcceptReferral', referred)).toBeNull();
    expect(writeRefusal(writer('CHC', 'registrar'), 'CorrectEvent', chcOnly, 'VisitRecorded')).toBeNull();
    expect(writeRefusal(writer('CHC', 'registrar'), 'CorrectEvent', chcOnly, 'PatientDischarged')).toMatch(
      /may not amend/,
    );
    expect(writeRefusal(writer('OTHER'), 'OpenJourney', { status: 'not-opened' })).toBeNull();
  });
});

describe('token lifetimes and the rate limiter', () => {
  it('reads lifetimes of up to 30 days', () => {
    expect(parseTtl('8h')).toBe(28_800);
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('90')).toBe(90);
    expect(parseTtl('31d')).toBeNull();
    expect(parseTtl('0s')).toBeNull();
    expect(parseTtl('1w')).toBeNull();
  });

  it('allows `limit` requests per window and says when to come back; keys do not share a budget', () => {
    const limiter = new RateLimiter();
    const start = 60_000 * 16_666_667; // a window boundary
    for (let i = 0; i < 5; i++) expect(limiter.take('a', 5, 60, start + i).allowed).toBe(true);
    const refused = limiter.take('a', 5, 60, start + 10);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(limiter.take('b', 5, 60, start + 10).allowed).toBe(true);
    // Half way through the next window half of the previous one (2.5) still counts: 3 more fit, not 5.
    const half = start + 90_000;
    expect([0, 1, 2, 3].map((i) => limiter.take('a', 5, 60, half + i).allowed)).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // Two windows later nothing is remembered.
    limiter.forgetIdle(start + 300_000);
    expect(limiter.size).toBe(0);
    limiter.onApplicationShutdown();
  });
});
