import { useEffect, useState } from 'preact/hooks';
import { allowed, get } from '../api';
import { useDirectory, useSession } from '../app';
import { codeLabel, formatDateTime, useI18n } from '../i18n';
import { ErrorBox, Field } from '../ui';
import { AdmitForm, BookSlotForm, DischargeForm, ReferralActions, VisitForm } from './actions';
import { Timeline, type TimelineData } from './timeline';

const REASONS = [
  'treatment',
  'care-coordination',
  'audit',
  'quality-review',
  'patient-request',
  'legal',
  'emergency',
] as const;

/** The reason given for each journey this tab has opened: asked once per journey, kept only in memory. */
const reasons = new Map<string, { reason: string; justification?: string }>();

interface JourneyState {
  readonly journeyId: string;
  readonly revision: number;
  readonly state: {
    readonly status: string;
    readonly patientId: string;
    readonly referrals: Readonly<
      Record<
        string,
        {
          readonly referralId: string;
          readonly status: string;
          readonly direction: string;
          readonly priority: string;
          readonly from: { readonly institutionId: string };
          readonly to: { readonly institutionId: string };
          readonly deadline: string;
        }
      >
    >;
    readonly proposals?: Readonly<
      Record<
        string,
        {
          readonly proposalId: string;
          readonly from: { readonly institutionId: string };
          readonly to: { readonly institutionId: string };
          readonly proposedAt: string;
          readonly status: string;
          readonly declineReason: string | null;
        }
      >
    >;
    readonly followUps?: Readonly<
      Record<
        string,
        {
          readonly followUpId: string;
          readonly owedBy: { readonly institutionId: string };
          readonly dischargedAt: string;
          readonly dueBy: string;
          readonly status: string;
        }
      >
    >;
    readonly admissions: Readonly<
      Record<
        string,
        {
          readonly admissionId: string;
          readonly institutionId: string;
          readonly wardId: string;
          readonly status: string;
          readonly referralId: string | null;
        }
      >
    >;
  };
}

export interface HistoryEvent {
  readonly id: string;
  readonly type: string;
  readonly revision: number;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly amendedBy?: { readonly correctedBy: string[]; readonly enteredInErrorBy: string | null };
}

export function JourneyScreen({ journeyId }: { journeyId: string }) {
  const { t, lang } = useI18n();
  const session = useSession();
  const directory = useDirectory();
  const [access, setAccess] = useState(reasons.get(journeyId) ?? null);
  const [journey, setJourney] = useState<JourneyState | null>(null);
  const [timeline, setTimeline] = useState<TimelineData | null>(null);
  const [history, setHistory] = useState<HistoryEvent[]>([]);
  const [error, setError] = useState<unknown>(null);

  const load = async () => {
    if (!access) return;
    const headers = { reason: access.reason };
    try {
      const [j, tl, h] = await Promise.all([
        get<JourneyState>(`/journeys/${journeyId}`, headers),
        get<TimelineData>(`/journeys/${journeyId}/timeline`, headers),
        get<{ events: HistoryEvent[] }>(`/journeys/${journeyId}/events`, headers),
      ]);
      setJourney(j);
      setTimeline(tl);
      setHistory(h.events);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, [access]);

  if (!access)
    return <ReasonPrompt journeyId={journeyId} onReason={(a) => (reasons.set(journeyId, a), setAccess(a))} />;

  const referrals = journey ? Object.values(journey.state.referrals) : [];
  const admissions = journey ? Object.values(journey.state.admissions) : [];
  const mineAdmitted = admissions.filter(
    (a) => a.institutionId === session.institutionId && (a.status === 'in-bed' || a.status === 'on-leave'),
  );
  const toAdmit = referrals.find(
    (r) =>
      r.to.institutionId === session.institutionId &&
      r.status === 'accepted' &&
      !admissions.some((a) => a.referralId === r.referralId),
  );
  const formProps = journey
    ? { journeyId, revision: journey.revision, session, onDone: () => void load() }
    : null;

  return (
    <section aria-labelledby="journey-title">
      <div class="screen-head">
        <h2 id="journey-title">
          {t('journey.title')} <code>{journeyId.slice(0, 8)}</code>
        </h2>
        {journey && (
          <p class="status">
            {t('journey.patient')}: <strong>{journey.state.patientId}</strong> ·{' '}
            {codeLabel(t, 'journeyStatus', journey.state.status)} ·{' '}
            {t('journey.revision', { n: journey.revision })} · {t('journey.reason')}:{' '}
            {codeLabel(t, 'reason', access.reason)}
          </p>
        )}
      </div>
      <ErrorBox error={error} onReload={() => void load()} />
      {timeline && <Timeline data={timeline} history={history} />}
      {journey && formProps && (
        <section class="panel" aria-labelledby="referrals-title">
          <h3 id="referrals-title">{t('journey.referrals')}</h3>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('col.direction')}</th>
                  <th scope="col">{t('col.from')}</th>
                  <th scope="col">{t('col.to')}</th>
                  <th scope="col">{t('col.priority')}</th>
                  <th scope="col">{t('col.status')}</th>
                  <th scope="col">{t('col.deadline')}</th>
                  <th scope="col">{t('col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {referrals.map((r) => (
                  <tr key={r.referralId} data-referral={r.referralId}>
                    <td>{codeLabel(t, 'direction', r.direction)}</td>
                    <td class="name">{directory.name(r.from.institutionId)}</td>
                    <td class="name">{directory.name(r.to.institutionId)}</td>
                    <td>{codeLabel(t, 'priority', r.priority)}</td>
                    <td data-testid="referral-status">{codeLabel(t, 'status', r.status)}</td>
                    <td>{formatDateTime(lang, r.deadline)}</td>
                    <td>
                      <ReferralActions
                        referral={{
                          referralId: r.referralId,
                          journeyId,
                          status: r.status,
                          toInstitutionId: r.to.institutionId,
                        }}
                        session={session}
                        revision={journey.revision}
                        onDone={() => void load()}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {journey && formProps && journey.state.status === 'open' && (
        <div class="forms">
          {allowed(session, 'POST', '/journeys/:journeyId/visits') && <VisitForm {...formProps} />}
          {toAdmit && allowed(session, 'POST', '/journeys/:journeyId/admissions') && (
            <AdmitForm {...formProps} referralId={toAdmit.referralId} />
          )}
          {allowed(session, 'POST', '/journeys/:journeyId/admissions/:admissionId/discharge') &&
            mineAdmitted.map((a) => (
              <DischargeForm key={a.admissionId} {...formProps} admissionId={a.admissionId} />
            ))}
          {allowed(session, 'POST', '/slot-blocks/:blockId/bookings') && (
            <BookSlotForm {...formProps} residentId={journey.state.patientId} />
          )}
        </div>
      )}
      {journey && <CareProcesses state={journey.state} />}
      {history.length > 0 && <History events={history} />}
    </section>
  );
}

function ReasonPrompt({
  journeyId,
  onReason,
}: {
  journeyId: string;
  onReason: (a: { reason: string; justification?: string }) => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState<string>('care-coordination');
  const [justification, setJustification] = useState('');
  return (
    <form
      class="panel reason"
      data-testid="reason-form"
      onSubmit={(e) => {
        e.preventDefault();
        onReason(reason === 'emergency' ? { reason, justification } : { reason });
      }}
    >
      <h2>{t('reason.title')}</h2>
      <p>{t('reason.explain', { id: journeyId.slice(0, 8) })}</p>
      <Field label={t('reason.label')}>
        <select value={reason} onChange={(e) => setReason(e.currentTarget.value)} autoFocus>
          {REASONS.map((r) => (
            <option key={r} value={r}>
              {codeLabel(t, 'reason', r)}
            </option>
          ))}
        </select>
      </Field>
      {reason === 'emergency' && (
        <Field label={t('reason.justification')}>
          <input
            value={justification}
            minLength={3}
            maxLength={200}
            required
            onInput={(e) => setJustification(e.currentTarget.value)}
          />
        </Field>
      )}
      <button type="submit" class="primary">
        {t('reason.continue')}
      </button>
    </form>
  );
}

function History({ events }: { events: HistoryEvent[] }) {
  const { t, lang } = useI18n();
  return (
    <section class="panel" aria-labelledby="history-title">
      <h3 id="history-title">{t('journey.history')}</h3>
      <div class="table-wrap">
        <table class="history">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('col.event')}</th>
              <th scope="col">{t('col.occurredAt')}</th>
              <th scope="col">{t('col.recordedAt')}</th>
              <th scope="col">{t('col.actor')}</th>
              <th scope="col">{t('col.amended')}</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => {
              const voided = e.amendedBy?.enteredInErrorBy;
              const corrected = (e.amendedBy?.correctedBy.length ?? 0) > 0;
              return (
                <tr key={e.id} class={voided ? 'voided' : corrected ? 'corrected' : undefined}>
                  <td>{e.revision}</td>
                  <td>{codeLabel(t, 'event', e.type)}</td>
                  <td>{formatDateTime(lang, e.metadata.occurredAt as string)}</td>
                  <td>{formatDateTime(lang, e.metadata.recordedAt as string)}</td>
                  <td>
                    {typeof e.metadata.actorId === 'string' ? e.metadata.actorId : ''} (
                    {codeLabel(t, 'role', e.metadata.actorRole as string)})
                  </td>
                  <td>
                    {voided && <span class="tag">{t('history.enteredInError')}</span>}
                    {corrected && <span class="tag">{t('history.corrected')}</span>}
                    {typeof e.data.targetEventId === 'string' && (
                      <span class="tag">{t('history.amends', { id: e.data.targetEventId.slice(0, 8) })}</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Issue 20's processes on this journey: downward transfers proposed after surgery, follow-ups owed after discharge. */
function CareProcesses({ state }: { state: JourneyState['state'] }) {
  const { t, lang } = useI18n();
  const directory = useDirectory();
  const proposals = Object.values(state.proposals ?? {});
  const followUps = Object.values(state.followUps ?? {});
  if (proposals.length === 0 && followUps.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="processes-title" data-testid="care-processes">
      <h3 id="processes-title">{t('journey.processes')}</h3>
      <ul class="items">
        {proposals.map((p) => (
          <li key={p.proposalId}>
            <strong>{t('worklist.proposed')}</strong> ·{' '}
            <span class="name">{directory.name(p.from.institutionId)}</span> →{' '}
            <span class="name">{directory.name(p.to.institutionId)}</span> ·{' '}
            {formatDateTime(lang, p.proposedAt)} · {codeLabel(t, 'proposalStatus', p.status)}
            {p.declineReason && ` · ${codeLabel(t, 'decline', p.declineReason)}`}
          </li>
        ))}
        {followUps.map((f) => (
          <li key={f.followUpId}>
            <strong>{t('worklist.followUps')}</strong> ·{' '}
            <span class="name">{directory.name(f.owedBy.institutionId)}</span> · {t('col.dueBy')}{' '}
            {formatDateTime(lang, f.dueBy)} · {codeLabel(t, 'followUpStatus', f.status)}
          </li>
        ))}
      </ul>
    </section>
  );
}
