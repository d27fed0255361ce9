import { useEffect, useState } from 'preact/hooks';
import { allowed, get, query } from '../api';
import { useDirectory, useSession } from '../app';
import { codeLabel, formatDateTime, useI18n } from '../i18n';
import { ErrorBox, Field } from '../ui';

/*
 * For auditors (docs/audit.md): who read patient-level data and why, filtered and paged as the API pages it; the
 * hash chain walked on request; the signed checkpoint and the read models' checkpoints.
 */

interface AccessRecord {
  readonly journeyId: string | null;
  readonly worklistInstitutionId: string | null;
  readonly resource: string;
  readonly reason: string | null;
  readonly basis: string | null;
  readonly justification: string | null;
  readonly flagged: boolean;
  readonly actorId: string;
  readonly actorRole: string;
  readonly institutionId: string;
  readonly at: string;
}

const PAGE = 50;

/** `2026-03-02` or a full date-time, as the API's from/to want it (UTC+8 when only a date). */
const asDateTime = (value: string) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00+08:00` : value);

export function AuditScreen() {
  const { t, lang } = useI18n();
  const session = useSession();
  const directory = useDirectory();
  const [filters, setFilters] = useState({
    journeyId: '',
    actorId: '',
    institutionId: '',
    from: '',
    to: '',
    flagged: '',
  });
  const [applied, setApplied] = useState(filters);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<{ records: AccessRecord[]; next: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [verify, setVerify] = useState<{
    ok: boolean;
    checked: number;
    headHash?: string;
    problem?: string;
  } | null>(null);
  const [verifyError, setVerifyError] = useState<unknown>(null);
  const [verifying, setVerifying] = useState(false);
  const [checkpoint, setCheckpoint] = useState<unknown>(null);
  const [checkpointError, setCheckpointError] = useState<unknown>(null);
  const [projections, setProjections] = useState<unknown>(null);

  const after = cursors[cursors.length - 1] ?? undefined;
  useEffect(() => {
    setError(null);
    const params = {
      journeyId: applied.journeyId || undefined,
      actorId: applied.actorId || undefined,
      institutionId: applied.institutionId || undefined,
      from: applied.from ? asDateTime(applied.from) : undefined,
      to: applied.to ? asDateTime(applied.to) : undefined,
      flagged: applied.flagged || undefined,
      after,
      limit: PAGE,
    };
    get<{ records: AccessRecord[]; next: string | null }>(`/audit/access${query(params)}`).then(
      setPage,
      setError,
    );
  }, [applied, after]);
  useEffect(() => {
    if (allowed(session, 'GET', '/audit/checkpoint'))
      get('/audit/checkpoint').then(setCheckpoint, setCheckpointError);
    if (allowed(session, 'GET', '/projections')) get('/projections').then(setProjections, () => undefined);
  }, []);

  const runVerify = async () => {
    setVerifying(true);
    setVerifyError(null);
    try {
      setVerify(await get('/audit/verify'));
    } catch (e) {
      setVerifyError(e);
    } finally {
      setVerifying(false);
    }
  };
  const input = (name: keyof typeof filters, label: string, type = 'text') => (
    <Field label={label}>
      <input
        type={type}
        value={filters[name]}
        onInput={(e) => setFilters({ ...filters, [name]: e.currentTarget.value })}
      />
    </Field>
  );

  return (
    <section aria-labelledby="audit-title">
      <div class="screen-head">
        <h2 id="audit-title">{t('audit.title')}</h2>
      </div>
      <div class="cards">
        <section class="panel" aria-labelledby="chain-title">
          <h3 id="chain-title">{t('audit.chain')}</h3>
          <button
            type="button"
            class="primary"
            disabled={verifying}
            onClick={() => void runVerify()}
            data-testid="verify"
          >
            {verifying ? t('audit.verifying') : t('audit.verify')}
          </button>
          {verify && (
            <p role="status" class={verify.ok ? 'ok' : 'late'} data-testid="verify-result">
              {verify.ok
                ? t('audit.chainOk', { n: verify.checked })
                : t('audit.chainBroken', { problem: verify.problem ?? '' })}
              {verify.headHash && <code class="hash">{verify.headHash}</code>}
            </p>
          )}
          <ErrorBox error={verifyError} />
        </section>
        <section class="panel" aria-labelledby="checkpoint-title">
          <h3 id="checkpoint-title">{t('audit.checkpoint')}</h3>
          {checkpoint !== null && <pre class="json">{JSON.stringify(checkpoint, null, 2)}</pre>}
          {checkpointError !== null && <ErrorBox error={checkpointError} />}
          {projections !== null && (
            <details>
              <summary>{t('audit.projections')}</summary>
              <pre class="json">{JSON.stringify(projections, null, 2)}</pre>
            </details>
          )}
        </section>
      </div>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([null]);
          setApplied(filters);
        }}
      >
        {input('journeyId', t('audit.journeyId'))}
        {input('actorId', t('audit.actorId'))}
        <Field label={t('audit.institution')}>
          <select
            value={filters.institutionId}
            onChange={(e) => setFilters({ ...filters, institutionId: e.currentTarget.value })}
          >
            <option value="">{t('filter.all')}</option>
            {directory.list.map((i) => (
              <option key={i.institutionId} value={i.institutionId}>
                {i.name}
              </option>
            ))}
          </select>
        </Field>
        {input('from', t('audit.from'), 'date')}
        {input('to', t('audit.to'), 'date')}
        <Field label={t('audit.flagged')}>
          <select
            value={filters.flagged}
            onChange={(e) => setFilters({ ...filters, flagged: e.currentTarget.value })}
          >
            <option value="">{t('filter.any')}</option>
            <option value="true">{t('audit.flaggedOnly')}</option>
            <option value="false">{t('audit.notFlagged')}</option>
          </select>
        </Field>
        <button type="submit">{t('dash.apply')}</button>
      </form>
      <ErrorBox error={error} />
      {page && (
        <section class="panel" aria-labelledby="access-title">
          <h3 id="access-title">{t('audit.access')}</h3>
          <div class="table-wrap">
            <table data-testid="access-log">
              <thead>
                <tr>
                  <th scope="col">{t('col.at')}</th>
                  <th scope="col">{t('col.actor')}</th>
                  <th scope="col">{t('audit.institution')}</th>
                  <th scope="col">{t('col.item')}</th>
                  <th scope="col">{t('journey.reason')}</th>
                  <th scope="col">{t('audit.basis')}</th>
                </tr>
              </thead>
              <tbody>
                {page.records.map((r, i) => (
                  <tr key={`${r.at}-${i}`} class={r.flagged ? 'overdue' : undefined}>
                    <td>{formatDateTime(lang, r.at)}</td>
                    <td>
                      {r.actorId} ({codeLabel(t, 'role', r.actorRole)})
                    </td>
                    <td class="name">{directory.name(r.institutionId)}</td>
                    <td>
                      {r.journeyId ? (
                        <a href={`#/journey/${r.journeyId}`}>{r.journeyId.slice(0, 8)}</a>
                      ) : (
                        directory.name(r.worklistInstitutionId)
                      )}{' '}
                      · {r.resource}
                    </td>
                    <td>
                      {codeLabel(t, 'reason', r.reason)}
                      {r.justification && ` — ${r.justification}`}
                      {r.flagged && <span class="tag">{t('audit.flaggedTag')}</span>}
                    </td>
                    <td>{r.basis ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label={t('audit.access')}>
            <button
              type="button"
              disabled={cursors.length <= 1}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              {t('pager.previous')}
            </button>
            <button
              type="button"
              disabled={!page.next}
              onClick={() => page.next && setCursors([...cursors, page.next])}
            >
              {t('pager.next')}
            </button>
          </nav>
        </section>
      )}
    </section>
  );
}
