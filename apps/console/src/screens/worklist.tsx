import { useEffect, useMemo, useState } from 'preact/hooks';
import { allowed, get, post, query, type Session } from '../api';
import { useDirectory, useSession } from '../app';
import { codeLabel, duration, formatDateTime, useI18n } from '../i18n';
import type { MessageKey } from '../strings';
import { ErrorBox, Field, nowInShanghai, useAction } from '../ui';
import { ReferralActions } from './actions';
import { PatientSearch } from './patient-search';

export interface WorklistReferral {
  readonly referralId: string;
  readonly journeyId: string;
  readonly direction: string;
  readonly priority: string;
  readonly setting: string;
  readonly department: string;
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly status: string;
  readonly requestedAt: string;
  readonly deadline: string;
  readonly overdue: boolean;
}

type Row = Record<string, unknown> & { readonly journeyId?: string };
type Worklist = Record<string, unknown> & {
  readonly institutionId: string;
  readonly next?: Readonly<Record<string, string | null>>;
};

/** Rows per section page: the API pages by keyset (`limit`, and `cursor` with `section` for the next page). */
const PAGE = 10;
/** Without a live stream, the list is read again this often (ms). */
const REFRESH_MS = 15_000;

type Kind = 'incoming' | 'outgoing' | 'stay' | 'leave' | 'referral' | 'proposal' | 'upstairs' | 'followup';

interface Section {
  readonly id: string;
  readonly title: MessageKey;
  readonly kind: Kind;
}

/** The worklist's sections as the API names them (docs/worklists.md), in the order a coordinator reads them. */
const SECTIONS: readonly Section[] = [
  { id: 'incomingReferrals', title: 'worklist.incoming', kind: 'incoming' },
  { id: 'outgoingReferrals', title: 'worklist.outgoing', kind: 'outgoing' },
  { id: 'followUpsDue', title: 'worklist.followUps', kind: 'followup' },
  { id: 'proposedDownwardTransfers', title: 'worklist.proposed', kind: 'proposal' },
  { id: 'expectedDownwardTransfers', title: 'worklist.expectedDownward', kind: 'referral' },
  { id: 'withUsUpstairs', title: 'worklist.upstairs', kind: 'upstairs' },
  { id: 'inpatients', title: 'worklist.inpatients', kind: 'stay' },
  { id: 'onLeave', title: 'worklist.onLeave', kind: 'leave' },
];

/** The event stream a screen may follow, when the API offers one to this role (issue 20). */
function liveStream(session: Session): string | null {
  return session.allowedRoutes.includes('GET /notifications/stream') ? '/notifications/stream' : null;
}

interface Filters {
  readonly text: string;
  readonly department: string;
  readonly priority: string;
  readonly status: string;
  readonly direction: string;
  readonly overdueOnly: boolean;
}

const serverFilters = (f: Filters) => ({
  department: f.department.trim() || undefined,
  priority: f.priority || undefined,
  status: f.status || undefined,
  direction: f.direction || undefined,
  overdue: f.overdueOnly ? 'true' : undefined,
});

export function WorklistScreen() {
  const { t, lang } = useI18n();
  const session = useSession();
  const directory = useDirectory();
  const [worklist, setWorklist] = useState<Worklist | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(Date.now());
  const [filters, setFilters] = useState<Filters>({
    text: '',
    department: '',
    priority: '',
    status: '',
    direction: '',
    overdueOnly: false,
  });
  /** Per section, the cursors that led to the page shown, oldest first (none: the first page). */
  const [trail, setTrail] = useState<Record<string, string[]>>({});
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [live, setLive] = useState(false);
  const [actionsVersion, setActionsVersion] = useState(0);
  const base = `/worklists/${encodeURIComponent(session.institutionId ?? '')}`;

  const load = async (f = filters) => {
    if (!session.institutionId) return;
    try {
      setWorklist(await get<Worklist>(`${base}${query({ ...serverFilters(f), limit: PAGE })}`));
      setTrail({});
      setUpdatedAt(Date.now());
      setActionsVersion((v) => v + 1);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  /** Another page of one section, reached by the cursors `path`: the rest of the list stays as it is. */
  const page = async (section: string, path: string[]) => {
    try {
      const params = { ...serverFilters(filters), limit: PAGE, section, cursor: path[path.length - 1] };
      const answer = await get<Worklist>(`${base}${query(params)}`);
      setWorklist((w) =>
        w
          ? {
              ...w,
              [section]: answer[section],
              next: { ...w.next, [section]: answer.next?.[section] ?? null },
            }
          : w,
      );
      setTrail((tr) => ({ ...tr, [section]: path }));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const refresh = setInterval(() => void load(), REFRESH_MS);
    const path = liveStream(session);
    const source = path ? new EventSource(path) : null;
    if (source) {
      source.onopen = () => setLive(true);
      source.onerror = () => setLive(false);
      source.addEventListener('notification', () => void load());
    }
    return () => {
      clearInterval(tick);
      clearInterval(refresh);
      source?.close();
    };
  }, [session.institutionId]);

  const matches = useMemo(
    () => (row: Row) => {
      const text = filters.text.trim().toLowerCase();
      if (!text) return true;
      const names = [
        'fromInstitutionId',
        'toInstitutionId',
        'whereInstitutionId',
        'referredToInstitutionId',
      ].map((k) => (typeof row[k] === 'string' ? directory.name(row[k]) : ''));
      return [...Object.values(row), ...names]
        .filter((v) => typeof v === 'string')
        .join(' ')
        .toLowerCase()
        .includes(text);
    },
    [filters.text, directory],
  );

  const set = (patch: Partial<Filters>) => {
    const next = { ...filters, ...patch };
    setFilters(next);
    if (!('text' in patch)) void load(next);
  };

  return (
    <section aria-labelledby="worklist-title">
      <div class="screen-head">
        <h2 id="worklist-title">
          {t('worklist.title')} · <span class="name">{directory.name(session.institutionId)}</span>
        </h2>
        <p class="status" aria-live="polite">
          {live ? t('worklist.live') : t('worklist.polling', { seconds: REFRESH_MS / 1000 })}
          {updatedAt &&
            ` · ${t('worklist.updated', { time: formatDateTime(lang, new Date(updatedAt).toISOString()) })}`}
          <button type="button" onClick={() => void load()}>
            {t('worklist.refresh')}
          </button>
        </p>
      </div>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('filter.text')}>
          <input
            type="search"
            value={filters.text}
            onInput={(e) => set({ text: e.currentTarget.value })}
            data-testid="filter-text"
          />
        </Field>
        <Field label={t('filter.department')}>
          <input
            value={filters.department}
            onChange={(e) => set({ department: e.currentTarget.value })}
            placeholder="cardiology"
          />
        </Field>
        <Field label={t('filter.priority')}>
          <select value={filters.priority} onChange={(e) => set({ priority: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {['green-channel', 'urgent', 'routine'].map((p) => (
              <option key={p} value={p}>
                {codeLabel(t, 'priority', p)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('filter.status')}>
          <select value={filters.status} onChange={(e) => set({ status: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            {['requested', 'received', 'accepted'].map((p) => (
              <option key={p} value={p}>
                {codeLabel(t, 'status', p)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('filter.direction')}>
          <select value={filters.direction} onChange={(e) => set({ direction: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            <option value="incoming">{t('filter.incoming')}</option>
            <option value="outgoing">{t('filter.outgoing')}</option>
          </select>
        </Field>
        <label class="check">
          <input
            type="checkbox"
            checked={filters.overdueOnly}
            onChange={(e) => set({ overdueOnly: e.currentTarget.checked })}
            data-testid="filter-overdue"
          />
          <span>{t('filter.overdueOnly')}</span>
        </label>
      </form>
      <ErrorBox error={error} onReload={() => void load()} />
      {session.allowedRoutes.includes('GET /worklists/:institutionId/action-required') && (
        <ActionRequired base={base} version={actionsVersion} now={now} onChanged={() => void load()} />
      )}
      {allowed(session, 'GET', '/journeys') && <PatientSearch />}
      {!worklist && !error && <p class="loading">{t('app.loading')}</p>}
      {worklist &&
        SECTIONS.filter((section) => Array.isArray(worklist[section.id])).map((section) => {
          const rows = (worklist[section.id] as Row[]).filter(matches);
          const before = trail[section.id] ?? [];
          const next = worklist.next?.[section.id] ?? null;
          return (
            <section
              key={section.id}
              class="panel"
              data-section={section.id}
              aria-labelledby={`h-${section.id}`}
            >
              <h3 id={`h-${section.id}`}>
                {t(section.title)} <span class="count">{rows.length}</span>
              </h3>
              {rows.length === 0 ? (
                <p class="empty">{t('worklist.empty')}</p>
              ) : (
                <div class="table-wrap">
                  <table>
                    <Head kind={section.kind} />
                    <tbody>
                      {rows.map((row) => (
                        <RowOf
                          key={rowKey(row)}
                          kind={section.kind}
                          row={row}
                          now={now}
                          onChanged={() => void load()}
                        />
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              {(before.length > 0 || next) && (
                <nav class="pager" aria-label={t(section.title)}>
                  <button
                    type="button"
                    disabled={before.length === 0}
                    onClick={() => void page(section.id, before.slice(0, -1))}
                  >
                    {t('pager.previous')}
                  </button>
                  <span>{t('pager.page', { page: before.length + 1 })}</span>
                  <button
                    type="button"
                    disabled={!next}
                    data-testid={`next-${section.id}`}
                    onClick={() => next && void page(section.id, [...before, next])}
                  >
                    {t('pager.next')}
                  </button>
                </nav>
              )}
            </section>
          );
        })}
    </section>
  );
}

const rowKey = (row: Row): string =>
  [row.referralId, row.admissionId, row.followUpId, row.proposalId, row.journeyId].find(
    (v) => typeof v === 'string',
  ) ?? '';

const COLUMNS: Readonly<Record<Kind, readonly MessageKey[]>> = {
  incoming: [
    'col.priority',
    'col.direction',
    'col.from',
    'col.department',
    'col.status',
    'col.deadline',
    'col.journey',
    'col.actions',
  ],
  outgoing: [
    'col.priority',
    'col.direction',
    'col.to',
    'col.department',
    'col.status',
    'col.deadline',
    'col.journey',
  ],
  referral: [
    'col.priority',
    'col.direction',
    'col.from',
    'col.department',
    'col.status',
    'col.deadline',
    'col.journey',
  ],
  stay: ['col.patient', 'col.ward', 'col.bed', 'col.admittedAt', 'col.journey'],
  leave: ['col.patient', 'col.ward', 'col.bed', 'col.leaveSince', 'col.journey'],
  proposal: ['col.patient', 'col.from', 'col.to', 'col.proposedAt', 'col.journey'],
  upstairs: ['col.patient', 'col.department', 'col.to', 'col.whereNow', 'col.since', 'col.journey'],
  followup: ['col.patient', 'col.dischargedAt', 'col.dueBy', 'col.journey', 'col.actions'],
};

function Head({ kind }: { kind: Kind }) {
  const { t } = useI18n();
  return (
    <thead>
      <tr>
        {COLUMNS[kind].map((c) => (
          <th key={c} scope="col">
            {t(c)}
          </th>
        ))}
      </tr>
    </thead>
  );
}

function JourneyLink({ journeyId }: { journeyId: string | undefined }) {
  const { t } = useI18n();
  if (!journeyId) return <td>—</td>;
  return (
    <td>
      <a
        href={`#/journey/${journeyId}`}
        aria-label={t('worklist.openJourney', { id: journeyId.slice(0, 8) })}
      >
        {t('worklist.open')}
      </a>
    </td>
  );
}

/** Time left before `deadline`, or how far past it: green, or red and bold once overdue. */
function Countdown({ deadline, now }: { deadline: string; now: number }) {
  const { t } = useI18n();
  const left = Date.parse(deadline) - now;
  return (
    <div class={left < 0 ? 'countdown late' : 'countdown'} data-testid="countdown">
      {left < 0
        ? t('worklist.overdueBy', { time: duration(t, left) })
        : t('worklist.dueIn', { time: duration(t, left) })}
    </div>
  );
}

const text = (row: Row, key: string): string => (typeof row[key] === 'string' ? row[key] : '');

function RowOf({ kind, row, now, onChanged }: { kind: Kind; row: Row; now: number; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const directory = useDirectory();
  const session = useSession();
  const when = (key: string) => formatDateTime(lang, text(row, key) || null);
  const journey = <JourneyLink journeyId={row.journeyId} />;
  switch (kind) {
    case 'stay':
    case 'leave':
      return (
        <tr>
          <td>{text(row, 'patientId')}</td>
          <td>{text(row, 'wardId')}</td>
          <td>
            {text(row, 'bedId') || '—'}
            {row.extraBed === true && <span class="tag">{t('worklist.extraBed')}</span>}
          </td>
          <td>{when(kind === 'leave' ? 'leaveStartedAt' : 'admittedAt')}</td>
          {journey}
        </tr>
      );
    case 'proposal':
      return (
        <tr data-proposal={text(row, 'proposalId')}>
          <td>{text(row, 'patientId')}</td>
          <td class="name">{directory.name(text(row, 'fromInstitutionId'))}</td>
          <td class="name">{directory.name(text(row, 'toInstitutionId'))}</td>
          <td>{when('proposedAt')}</td>
          {journey}
        </tr>
      );
    case 'upstairs':
      return (
        <tr>
          <td>{text(row, 'patientId')}</td>
          <td>{text(row, 'department')}</td>
          <td class="name">{directory.name(text(row, 'referredToInstitutionId'))}</td>
          <td class="name">
            {directory.name(text(row, 'whereInstitutionId'))}
            {row.admitted === true &&
              ` · ${codeLabel(t, 'stayStatus', text(row, 'stayStatus'))} ${text(row, 'wardId')}`}
          </td>
          <td>{when('since')}</td>
          {journey}
        </tr>
      );
    case 'followup':
      return (
        <tr class={row.overdue === true ? 'overdue' : undefined} data-follow-up={text(row, 'followUpId')}>
          <td>{text(row, 'patientId')}</td>
          <td>{when('dischargedAt')}</td>
          <td>
            <time dateTime={text(row, 'dueBy')}>{when('dueBy')}</time>
            <Countdown deadline={text(row, 'dueBy')} now={now} />
          </td>
          {journey}
          <td>
            <CompleteFollowUp
              journeyId={text(row, 'journeyId')}
              followUpId={text(row, 'followUpId')}
              onDone={onChanged}
            />
          </td>
        </tr>
      );
    case 'incoming':
    case 'outgoing':
    case 'referral': {
      const r = row as unknown as WorklistReferral;
      const awaiting = r.status === 'requested' || r.status === 'received';
      const overdue = awaiting && Date.parse(r.deadline) < now;
      return (
        <tr class={overdue ? 'overdue' : undefined} data-referral={r.referralId}>
          <td>
            <span class={`priority p-${r.priority}`}>{codeLabel(t, 'priority', r.priority)}</span>
          </td>
          <td>{codeLabel(t, 'direction', r.direction)}</td>
          <td class="name">
            {directory.name(kind === 'outgoing' ? r.toInstitutionId : r.fromInstitutionId)}
          </td>
          <td>{r.department}</td>
          <td>{codeLabel(t, 'status', r.status)}</td>
          <td>
            <time dateTime={r.deadline}>{formatDateTime(lang, r.deadline)}</time>
            {awaiting && <Countdown deadline={r.deadline} now={now} />}
          </td>
          {journey}
          {kind === 'incoming' && (
            <td>
              <ReferralActions referral={r} session={session} onDone={onChanged} compact />
            </td>
          )}
        </tr>
      );
    }
  }
}

/** A follow-up recorded as done by the owing centre (a visit there in time also does it, with no click). */
function CompleteFollowUp({
  journeyId,
  followUpId,
  onDone,
}: {
  journeyId: string;
  followUpId: string;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const session = useSession();
  const action = useAction(onDone);
  if (!allowed(session, 'POST', '/journeys/:journeyId/follow-ups/:followUpId/complete')) return null;
  return (
    <div class="actions compact">
      <button
        type="button"
        disabled={action.busy}
        data-action="complete-follow-up"
        onClick={() =>
          void action.run((key) =>
            post(
              `/journeys/${journeyId}/follow-ups/${followUpId}/complete`,
              { occurredAt: nowInShanghai() },
              { idempotencyKey: key },
            ),
          )
        }
      >
        {t('action.completeFollowUp')}
      </button>
      <ErrorBox error={action.error} onReload={onDone} />
    </div>
  );
}

interface ActionItem {
  readonly kind: string;
  readonly journeyId: string;
  readonly patientId: string;
  readonly referralId: string | null;
  readonly proposalId: string | null;
  readonly followUpId: string | null;
  readonly at: string;
  readonly fromInstitutionId: string | null;
  readonly toInstitutionId: string | null;
  readonly department: string | null;
  readonly rejectionReason: string | null;
  readonly escalatedToAllianceId: string | null;
  readonly dueBy: string | null;
  readonly action: string;
}

/** What waits on this institution and will not go away by itself (issue 20): each item with what clears it. */
function ActionRequired({
  base,
  version,
  now,
  onChanged,
}: {
  base: string;
  version: number;
  now: number;
  onChanged: () => void;
}) {
  const { t, lang } = useI18n();
  const directory = useDirectory();
  const [items, setItems] = useState<ActionItem[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = async (cursor?: string) => {
    try {
      const answer = await get<{ items: ActionItem[]; next: string | null }>(
        `${base}/action-required${query({ limit: PAGE, cursor })}`,
      );
      setItems((before) => (cursor && before ? [...before, ...answer.items] : answer.items));
      setNext(answer.next);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, [version]);
  return (
    <section class="panel attention" data-section="actionRequired" aria-labelledby="h-action-required">
      <h3 id="h-action-required">
        {t('worklist.actionRequired')} <span class="count">{items?.length ?? 0}</span>
      </h3>
      <ErrorBox error={error} />
      {items && items.length === 0 && <p class="empty">{t('worklist.empty')}</p>}
      {items && items.length > 0 && (
        <ul class="items">
          {items.map((item) => (
            <li
              key={`${item.kind}-${item.referralId ?? item.proposalId ?? item.followUpId ?? item.journeyId}`}
              data-kind={item.kind}
            >
              <strong>{codeLabel(t, 'actionKind', item.kind)}</strong> · {item.patientId}
              {item.fromInstitutionId && item.toInstitutionId && (
                <span class="name">
                  {' '}
                  · {directory.name(item.fromInstitutionId)} → {directory.name(item.toInstitutionId)}
                </span>
              )}
              {item.department && ` · ${item.department}`}
              {item.rejectionReason && ` · ${codeLabel(t, 'rejection', item.rejectionReason)}`}
              {' · '}
              {formatDateTime(lang, item.at)}
              {item.dueBy && <Countdown deadline={item.dueBy} now={now} />}
              <span class="actions">
                <a href={`#/journey/${item.journeyId}`}>{t('worklist.open')}</a>
                <ItemAction item={item} onDone={onChanged} />
              </span>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" onClick={() => void load(next)}>
          {t('pager.more')}
        </button>
      )}
    </section>
  );
}

const DECLINE_REASONS = [
  'not-stable',
  'needs-specialist-care',
  'patient-declined',
  'community-capacity',
  'other',
] as const;

function ItemAction({ item, onDone }: { item: ActionItem; onDone: () => void }) {
  const { t } = useI18n();
  const session = useSession();
  const action = useAction(onDone);
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState<string>('not-stable');
  const [accepting, setAccepting] = useState(false);
  const [referral, setReferral] = useState({
    department: '',
    priority: 'routine',
    setting: 'inpatient',
    reasonCode: '',
  });
  const journey = `/journeys/${item.journeyId}`;
  const send = (path: string, body: Record<string, unknown> = {}) =>
    void action.run((key) => post(path, { occurredAt: nowInShanghai(), ...body }, { idempotencyKey: key }));
  let controls = null;
  if (
    item.action === 'acknowledge' &&
    item.referralId &&
    allowed(session, 'POST', '/journeys/:journeyId/referrals/:referralId/acknowledge')
  ) {
    controls = (
      <button
        type="button"
        disabled={action.busy}
        data-action="acknowledge"
        onClick={() => send(`${journey}/referrals/${item.referralId}/acknowledge`)}
      >
        {t('action.acknowledge')}
      </button>
    );
  } else if (item.action === 'complete-follow-up' && item.followUpId) {
    return <CompleteFollowUp journeyId={item.journeyId} followUpId={item.followUpId} onDone={onDone} />;
  } else if (
    item.action === 'accept-or-decline' &&
    item.proposalId &&
    allowed(session, 'POST', '/journeys/:journeyId/proposals/:proposalId/accept')
  ) {
    const proposal = `${journey}/proposals/${item.proposalId}`;
    controls = (
      <>
        {!accepting && !declining && (
          <>
            <button
              type="button"
              class="primary"
              data-action="accept-proposal"
              onClick={() => setAccepting(true)}
            >
              {t('action.acceptProposal')}
            </button>
            <button type="button" data-action="decline-proposal" onClick={() => setDeclining(true)}>
              {t('action.declineProposal')}
            </button>
          </>
        )}
        {accepting && (
          <form
            class="inline-form"
            onSubmit={(e) => (e.preventDefault(), send(`${proposal}/accept`, referral))}
          >
            <Field label={t('field.department')}>
              <input
                required
                value={referral.department}
                onInput={(e) => setReferral({ ...referral, department: e.currentTarget.value })}
              />
            </Field>
            <Field label={t('filter.priority')}>
              <select
                value={referral.priority}
                onChange={(e) => setReferral({ ...referral, priority: e.currentTarget.value })}
              >
                {['routine', 'urgent', 'green-channel'].map((p) => (
                  <option key={p} value={p}>
                    {codeLabel(t, 'priority', p)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('field.setting')}>
              <select
                value={referral.setting}
                onChange={(e) => setReferral({ ...referral, setting: e.currentTarget.value })}
              >
                <option value="inpatient">{codeLabel(t, 'setting', 'inpatient')}</option>
                <option value="outpatient">{codeLabel(t, 'setting', 'outpatient')}</option>
              </select>
            </Field>
            <Field label={t('field.diagnosisCode')}>
              <input
                required
                value={referral.reasonCode}
                onInput={(e) => setReferral({ ...referral, reasonCode: e.currentTarget.value })}
                placeholder="Z48.8"
              />
            </Field>
            <button type="submit" class="primary" disabled={action.busy}>
              {t('action.save')}
            </button>
            <button type="button" onClick={() => setAccepting(false)}>
              {t('action.cancel')}
            </button>
          </form>
        )}
        {declining && (
          <form
            class="inline-form"
            onSubmit={(e) => (e.preventDefault(), send(`${proposal}/decline`, { reason }))}
          >
            <Field label={t('action.declineReason')}>
              <select value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
                {DECLINE_REASONS.map((r) => (
                  <option key={r} value={r}>
                    {codeLabel(t, 'decline', r)}
                  </option>
                ))}
              </select>
            </Field>
            <button type="submit" disabled={action.busy}>
              {t('action.declineProposal')}
            </button>
            <button type="button" onClick={() => setDeclining(false)}>
              {t('action.cancel')}
            </button>
          </form>
        )}
      </>
    );
  }
  return (
    <>
      {controls}
      <ErrorBox error={action.error} onReload={onDone} />
    </>
  );
}
