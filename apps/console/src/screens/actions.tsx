import { useState } from 'preact/hooks';
import { allowed, get, post, type Session } from '../api';
import { useDirectory } from '../app';
import { codeLabel, useI18n } from '../i18n';
import { ErrorBox, Field, nowInShanghai, useAction } from '../ui';

/*
 * The actions a coordinator takes, each one POST through the API's write routes. A button shows only when the
 * access policy lets the signed-in role call the route (the session lists them); the API decides again. Each
 * attempt carries one Idempotency-Key (ui.tsx, useAction), so a double click records one fact.
 */

interface ReferralLike {
  readonly referralId: string;
  readonly journeyId: string;
  readonly status: string;
  readonly toInstitutionId: string;
}

const REJECTION_REASONS = [
  'capacity-full',
  'not-indicated',
  'incomplete-information',
  'service-unavailable',
  'patient-declined',
  'other',
] as const;

const can = (session: Session, path: string) => allowed(session, 'POST', path);

export function ReferralActions({
  referral,
  session,
  onDone,
  compact = false,
  revision,
}: {
  referral: ReferralLike;
  session: Session;
  onDone: () => void;
  compact?: boolean;
  /** The journey's revision as the screen shows it: the write is refused (409) if it moved. */
  revision?: number;
}) {
  const { t } = useI18n();
  const directory = useDirectory();
  const action = useAction(onDone);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState<string>('capacity-full');
  const [redirectTo, setRedirectTo] = useState('');
  const base = `/journeys/${referral.journeyId}/referrals/${referral.referralId}`;
  const routes = '/journeys/:journeyId/referrals/:referralId';
  const mine = referral.toInstitutionId === session.institutionId;
  const awaiting = referral.status === 'requested' || referral.status === 'received';
  if (!mine || !awaiting) return null;
  const send = (verb: string, body: Record<string, unknown> = {}) =>
    void action.run((key) =>
      post(
        `${base}/${verb}`,
        { occurredAt: nowInShanghai(), ...body },
        { idempotencyKey: key, ifMatch: revision },
      ),
    );
  const receiving = directory.list.find((i) => i.institutionId === referral.toInstitutionId);
  const alliance = directory.list.filter(
    (i) =>
      i.allianceId && i.allianceId === receiving?.allianceId && i.institutionId !== referral.toInstitutionId,
  );
  return (
    <div class={compact ? 'actions compact' : 'actions'}>
      {referral.status === 'requested' && can(session, `${routes}/receive`) && (
        <button type="button" disabled={action.busy} onClick={() => send('receive')} data-action="receive">
          {t('action.receive')}
        </button>
      )}
      {can(session, `${routes}/accept`) && (
        <button
          type="button"
          class="primary"
          disabled={action.busy}
          onClick={() => send('accept')}
          data-action="accept"
        >
          {t('action.accept')}
        </button>
      )}
      {can(session, `${routes}/reject`) && !rejecting && (
        <button type="button" disabled={action.busy} onClick={() => setRejecting(true)} data-action="reject">
          {t('action.reject')}
        </button>
      )}
      {rejecting && (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            send('reject', {
              reason,
              ...(reason === 'capacity-full' && redirectTo ? { redirectToInstitutionId: redirectTo } : {}),
            });
          }}
        >
          <Field label={t('action.rejectReason')}>
            <select value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
              {REJECTION_REASONS.map((r) => (
                <option key={r} value={r}>
                  {codeLabel(t, 'rejection', r)}
                </option>
              ))}
            </select>
          </Field>
          {reason === 'capacity-full' && (
            <Field label={t('action.redirectTo')}>
              <select value={redirectTo} onChange={(e) => setRedirectTo(e.currentTarget.value)}>
                <option value="">{t('action.noRedirect')}</option>
                {alliance.map((i) => (
                  <option key={i.institutionId} value={i.institutionId}>
                    {i.name}
                  </option>
                ))}
              </select>
            </Field>
          )}
          <button type="submit" disabled={action.busy}>
            {redirectTo && reason === 'capacity-full' ? t('action.redirect') : t('action.confirmReject')}
          </button>
          <button type="button" onClick={() => setRejecting(false)}>
            {t('action.cancel')}
          </button>
        </form>
      )}
      <ErrorBox error={action.error} onReload={onDone} />
    </div>
  );
}

/** A form that records one fact on the journey: its fields, the care time, one Idempotency-Key per attempt. */
function JourneyForm({
  title,
  testId,
  path,
  body,
  revision,
  onDone,
  children,
}: {
  title: string;
  testId: string;
  path: string;
  body: () => Record<string, unknown>;
  revision: number;
  onDone: () => void;
  children: preact.ComponentChildren;
}) {
  const { t } = useI18n();
  const action = useAction(onDone);
  const [occurredAt, setOccurredAt] = useState(nowInShanghai());
  return (
    <form
      class="panel form"
      data-testid={testId}
      onSubmit={(e) => {
        e.preventDefault();
        void action.run((key) =>
          post(path, { ...body(), occurredAt }, { idempotencyKey: key, ifMatch: revision }),
        );
      }}
    >
      <h4>{title}</h4>
      <div class="form-fields">
        {children}
        <Field label={t('field.occurredAt')}>
          <input value={occurredAt} onInput={(e) => setOccurredAt(e.currentTarget.value)} />
        </Field>
      </div>
      <button type="submit" class="primary" disabled={action.busy}>
        {action.busy ? t('action.saving') : t('action.save')}
      </button>
      <ErrorBox error={action.error} onReload={onDone} />
    </form>
  );
}

interface JourneyFormProps {
  readonly journeyId: string;
  readonly revision: number;
  readonly session: Session;
  readonly onDone: () => void;
}

export function VisitForm({ journeyId, revision, session, onDone }: JourneyFormProps) {
  const { t } = useI18n();
  const [visitType, setVisitType] = useState('outpatient');
  const [diagnosisCode, setDiagnosis] = useState('');
  return (
    <JourneyForm
      title={t('action.recordVisit')}
      testId="visit-form"
      path={`/journeys/${journeyId}/visits`}
      body={() => ({ institutionId: session.institutionId, visitType, diagnosisCode })}
      revision={revision}
      onDone={onDone}
    >
      <Field label={t('field.visitType')}>
        <select value={visitType} onChange={(e) => setVisitType(e.currentTarget.value)}>
          <option value="outpatient">{codeLabel(t, 'visitType', 'outpatient')}</option>
          <option value="emergency">{codeLabel(t, 'visitType', 'emergency')}</option>
        </select>
      </Field>
      <Field label={t('field.diagnosisCode')}>
        <input
          value={diagnosisCode}
          onInput={(e) => setDiagnosis(e.currentTarget.value)}
          placeholder="I20.0"
        />
      </Field>
    </JourneyForm>
  );
}

export function AdmitForm({
  journeyId,
  revision,
  session,
  onDone,
  referralId,
}: JourneyFormProps & { referralId?: string }) {
  const { t } = useI18n();
  const directory = useDirectory();
  const own = directory.list.find((i) => i.institutionId === session.institutionId);
  const wards = Object.keys(own?.wards ?? {});
  const [wardId, setWard] = useState(wards[0] ?? '');
  const [bedId, setBed] = useState('');
  return (
    <JourneyForm
      title={t('action.admit')}
      testId="admit-form"
      path={`/journeys/${journeyId}/admissions`}
      body={() => ({
        institutionId: session.institutionId,
        wardId: wardId || (wards[0] ?? ''),
        ...(bedId ? { bedId } : {}),
        ...(referralId ? { referralId } : {}),
      })}
      revision={revision}
      onDone={onDone}
    >
      <Field label={t('field.ward')}>
        <select value={wardId} onChange={(e) => setWard(e.currentTarget.value)}>
          {wards.map((w) => (
            <option key={w} value={w}>
              {w}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('field.bed')}>
        <input value={bedId} onInput={(e) => setBed(e.currentTarget.value)} />
      </Field>
    </JourneyForm>
  );
}

export function DischargeForm({
  journeyId,
  revision,
  onDone,
  admissionId,
}: JourneyFormProps & { admissionId: string }) {
  const { t } = useI18n();
  const directory = useDirectory();
  const [disposition, setDisposition] = useState('home');
  const [destination, setDestination] = useState('');
  return (
    <JourneyForm
      title={t('action.discharge')}
      testId="discharge-form"
      path={`/journeys/${journeyId}/admissions/${admissionId}/discharge`}
      body={() => ({
        disposition,
        ...(disposition === 'other-institution' && destination
          ? { destinationInstitutionId: destination }
          : {}),
      })}
      revision={revision}
      onDone={onDone}
    >
      <Field label={t('field.disposition')}>
        <select value={disposition} onChange={(e) => setDisposition(e.currentTarget.value)}>
          {['home', 'other-institution', 'rehab', 'deceased'].map((d) => (
            <option key={d} value={d}>
              {codeLabel(t, 'disposition', d)}
            </option>
          ))}
        </select>
      </Field>
      {disposition === 'other-institution' && (
        <Field label={t('field.destination')}>
          <select value={destination} onChange={(e) => setDestination(e.currentTarget.value)}>
            <option value="">—</option>
            {directory.list.map((i) => (
              <option key={i.institutionId} value={i.institutionId}>
                {i.name}
              </option>
            ))}
          </select>
        </Field>
      )}
    </JourneyForm>
  );
}

interface AvailableSession {
  readonly blockId: string;
  readonly hospitalId: string;
  readonly department: string;
  readonly clinicianGrade: string;
  readonly date: string;
  readonly startTime: string;
  readonly free: number;
  readonly general: number;
}

/** Booking a specialist slot released to family doctors, for a resident signed with one (issue 19). */
export function BookSlotForm({ journeyId, residentId, onDone }: JourneyFormProps & { residentId: string }) {
  const { t } = useI18n();
  const directory = useDirectory();
  const action = useAction(onDone);
  const [date, setDate] = useState(nowInShanghai().slice(0, 10));
  const [department, setDepartment] = useState('');
  const [sessions, setSessions] = useState<AvailableSession[] | null>(null);
  const [searchError, setSearchError] = useState<unknown>(null);
  const [booked, setBooked] = useState<string | null>(null);
  const search = async () => {
    setSearchError(null);
    try {
      const q = new URLSearchParams({ date, ...(department ? { department } : {}) });
      setSessions((await get<{ sessions: AvailableSession[] }>(`/slots/available?${q.toString()}`)).sessions);
    } catch (e) {
      setSearchError(e);
    }
  };
  return (
    <div class="panel form" data-testid="book-slot">
      <h4>{t('action.bookSlot')}</h4>
      <form
        class="form-fields"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <Field label={t('field.date')}>
          <input type="date" value={date} onInput={(e) => setDate(e.currentTarget.value)} />
        </Field>
        <Field label={t('field.department')}>
          <input value={department} onInput={(e) => setDepartment(e.currentTarget.value)} />
        </Field>
        <button type="submit">{t('action.findSlots')}</button>
      </form>
      <ErrorBox error={searchError} />
      {sessions && sessions.length === 0 && <p class="empty">{t('action.noSlots')}</p>}
      {sessions && sessions.length > 0 && (
        <ul class="slots">
          {sessions.map((s) => (
            <li key={s.blockId}>
              <span class="name">{directory.name(s.hospitalId)}</span> · {s.department} · {s.date}{' '}
              {s.startTime} · {t('action.free', { n: s.free })}
              <button
                type="button"
                disabled={action.busy || s.free === 0}
                onClick={() =>
                  void action.run(async (key) => {
                    await post(
                      `/slot-blocks/${s.blockId}/bookings`,
                      { residentId, journeyId, occurredAt: nowInShanghai() },
                      { idempotencyKey: key },
                    );
                    setBooked(s.blockId);
                  })
                }
              >
                {t('action.book')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {booked && <p role="status">{t('action.booked')}</p>}
      <ErrorBox error={action.error} />
    </div>
  );
}
