import { useEffect, useMemo, useState } from 'preact/hooks';
import { allowed, get, type Session } from '../api';
import { useDirectory, useSession } from '../app';
import { codeLabel, duration, formatDateTime, useI18n } from '../i18n';
import type { MessageKey } from '../strings';
import { ErrorBox, Field, Pager } from '../ui';
import { ReferralActions } from './actions';

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

interface WorklistStay {
  readonly admissionId: string;
  readonly journeyId: string;
  readonly patientId: string;
  readonly wardId: string;
  readonly bedId: string | null;
  readonly extraBed: boolean;
  readonly admittedAt: string;
  readonly leaveStartedAt: string | null;
  readonly bedHeld: boolean | null;
}

type Row = Record<string, unknown> & { readonly journeyId?: string };
type Worklist = Record<string, unknown> & { readonly institutionId: string };

const PAGE = 10;
/** Without a live stream, the list is read again this often (ms). */
const REFRESH_MS = 15_000;

interface Section {
  readonly id: string;
  readonly title: MessageKey;
  readonly kind: 'incoming' | 'outgoing' | 'stay' | 'leave' | 'referral' | 'generic';
}

const SECTIONS: readonly Section[] = [
  { id: 'incomingReferrals', title: 'worklist.incoming', kind: 'incoming' },
  { id: 'outgoingReferrals', title: 'worklist.outgoing', kind: 'outgoing' },
  { id: 'inpatients', title: 'worklist.inpatients', kind: 'stay' },
  { id: 'onLeave', title: 'worklist.onLeave', kind: 'leave' },
  { id: 'expectedDownwardTransfers', title: 'worklist.expectedDownward', kind: 'referral' },
];

/** The event stream a screen may follow, when the API offers one to this role (issue 20). */
function liveStream(session: Session): string | null {
  const route = session.allowedRoutes.find((r) => /^GET \/notifications\/stream$/.test(r));
  return route ? route.slice(4) : null;
}

export function WorklistScreen() {
  const { t, lang } = useI18n();
  const session = useSession();
  const directory = useDirectory();
  const [worklist, setWorklist] = useState<Worklist | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(Date.now());
  const [filters, setFilters] = useState({ text: '', priority: '', direction: '', overdueOnly: false });
  const [pages, setPages] = useState<Record<string, number>>({});
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [live, setLive] = useState(false);

  const load = async () => {
    if (!session.institutionId) return;
    try {
      setWorklist(await get<Worklist>(`/worklists/${encodeURIComponent(session.institutionId)}`));
      setUpdatedAt(Date.now());
      setError(null);
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
      source.onmessage = () => void load();
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
      if (text) {
        const names = [row.fromInstitutionId, row.toInstitutionId].map((id) =>
          typeof id === 'string' ? directory.name(id) : '',
        );
        const haystack = [...Object.values(row), ...names]
          .filter((v) => typeof v === 'string')
          .join(' ')
          .toLowerCase();
        if (!haystack.includes(text)) return false;
      }
      if (filters.priority && 'priority' in row && row.priority !== filters.priority) return false;
      if (filters.direction && 'direction' in row && row.direction !== filters.direction) return false;
      if (filters.overdueOnly && row.overdue !== true) return false;
      return true;
    },
    [filters, directory],
  );

  const rowsOf = (id: string): Row[] => {
    const value = worklist?.[id];
    return Array.isArray(value) ? (value as Row[]).filter(matches) : [];
  };

  const set = (patch: Partial<typeof filters>) => {
    setFilters({ ...filters, ...patch });
    setPages({});
  };

  return (
    <section aria-labelledby="worklist-title">
      <div class="screen-head">
        <h2 id="worklist-title">
          {t('worklist.title')} · {directory.name(session.institutionId)}
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
        <Field label={t('filter.direction')}>
          <select value={filters.direction} onChange={(e) => set({ direction: e.currentTarget.value })}>
            <option value="">{t('filter.any')}</option>
            <option value="up">{codeLabel(t, 'direction', 'up')}</option>
            <option value="down">{codeLabel(t, 'direction', 'down')}</option>
          </select>
        </Field>
        <label class="check">
          <input
            type="checkbox"
            checked={filters.overdueOnly}
            onChange={(e) => set({ overdueOnly: e.currentTarget.checked })}
          />
          <span>{t('filter.overdueOnly')}</span>
        </label>
      </form>
      <ErrorBox error={error} onReload={() => void load()} />
      {!worklist && !error && <p class="loading">{t('app.loading')}</p>}
      {worklist &&
        SECTIONS.map((section) => {
          const rows = rowsOf(section.id);
          const page = Math.min(pages[section.id] ?? 0, Math.max(0, Math.ceil(rows.length / PAGE) - 1));
          const shown = rows.slice(page * PAGE, page * PAGE + PAGE);
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
                      {shown.map((row) => (
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
              <Pager
                page={page}
                pages={Math.ceil(rows.length / PAGE)}
                onPage={(p) => setPages({ ...pages, [section.id]: p })}
                label={t(section.title)}
              />
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

function Head({ kind }: { kind: Section['kind'] }) {
  const { t } = useI18n();
  const columns: MessageKey[] =
    kind === 'stay' || kind === 'leave'
      ? [
          'col.patient',
          'col.ward',
          'col.bed',
          kind === 'leave' ? 'col.leaveSince' : 'col.admittedAt',
          'col.journey',
        ]
      : kind === 'generic'
        ? ['col.item', 'col.journey']
        : [
            'col.priority',
            'col.direction',
            kind === 'outgoing' ? 'col.to' : 'col.from',
            'col.department',
            'col.status',
            'col.deadline',
            'col.journey',
          ];
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c} scope="col">
            {t(c)}
          </th>
        ))}
        {kind === 'incoming' && <th scope="col">{t('col.actions')}</th>}
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

function RowOf({
  kind,
  row,
  now,
  onChanged,
}: {
  kind: Section['kind'];
  row: Row;
  now: number;
  onChanged: () => void;
}) {
  const { t, lang } = useI18n();
  const directory = useDirectory();
  const session = useSession();
  if (kind === 'stay' || kind === 'leave') {
    const s = row as unknown as WorklistStay;
    return (
      <tr>
        <td>{s.patientId}</td>
        <td>{s.wardId}</td>
        <td>
          {s.bedId ?? '—'}
          {s.extraBed && <span class="tag">{t('worklist.extraBed')}</span>}
        </td>
        <td>{formatDateTime(lang, kind === 'leave' ? s.leaveStartedAt : s.admittedAt)}</td>
        <JourneyLink journeyId={s.journeyId} />
      </tr>
    );
  }
  if (kind === 'generic') {
    return (
      <tr>
        <td>
          {Object.entries(row)
            .filter(([, v]) => typeof v === 'string')
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join(' · ')}
        </td>
        <JourneyLink journeyId={row.journeyId} />
      </tr>
    );
  }
  const r = row as unknown as WorklistReferral;
  const left = Date.parse(r.deadline) - now;
  const awaiting = r.status === 'requested' || r.status === 'received';
  const overdue = awaiting && left < 0;
  return (
    <tr class={overdue ? 'overdue' : undefined} data-referral={r.referralId}>
      <td>
        <span class={`priority p-${r.priority}`}>{codeLabel(t, 'priority', r.priority)}</span>
      </td>
      <td>{codeLabel(t, 'direction', r.direction)}</td>
      <td class="name">{directory.name(kind === 'outgoing' ? r.toInstitutionId : r.fromInstitutionId)}</td>
      <td>{r.department}</td>
      <td>{codeLabel(t, 'status', r.status)}</td>
      <td>
        <time dateTime={r.deadline}>{formatDateTime(lang, r.deadline)}</time>
        {awaiting && (
          <div class={overdue ? 'countdown late' : 'countdown'} data-testid="countdown">
            {overdue
              ? t('worklist.overdueBy', { time: duration(t, left) })
              : t('worklist.dueIn', { time: duration(t, left) })}
          </div>
        )}
      </td>
      <JourneyLink journeyId={r.journeyId} />
      {kind === 'incoming' && (
        <td>
          <ReferralActions referral={r} session={session} onDone={onChanged} compact />
        </td>
      )}
    </tr>
  );
}

export const canAct = (session: Session, action: string) =>
  allowed(session, 'POST', `/journeys/:journeyId/referrals/:referralId/${action}`);
