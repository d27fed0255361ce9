import { useState } from 'preact/hooks';
import { get, query } from '../api';
import { codeLabel, formatDateTime, useI18n } from '../i18n';
import { ErrorBox, Field } from '../ui';

interface FoundJourney {
  readonly journeyId: string;
  readonly status: string;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly basis: string;
}

const REASONS = ['care-coordination', 'treatment', 'patient-request'] as const;

/**
 * A patient's journeys by pseudonymous id (issue 20, `GET /journeys?patientId=`): only those this person may read
 * are listed, and each one listed is written to the access log with the reason given here.
 */
export function PatientSearch() {
  const { t, lang } = useI18n();
  const [patientId, setPatientId] = useState('');
  const [reason, setReason] = useState<string>('care-coordination');
  const [found, setFound] = useState<FoundJourney[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = async () => {
    setError(null);
    try {
      const answer = await get<{ journeys: FoundJourney[] }>(
        `/journeys${query({ patientId: patientId.trim() })}`,
        {
          reason,
        },
      );
      setFound(answer.journeys);
    } catch (e) {
      setError(e);
      setFound(null);
    }
  };
  return (
    <section class="panel" aria-labelledby="h-search" data-testid="patient-search">
      <h3 id="h-search">{t('search.title')}</h3>
      <form
        class="inline-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <Field label={t('search.patientId')}>
          <input value={patientId} required onInput={(e) => setPatientId(e.currentTarget.value)} />
        </Field>
        <Field label={t('reason.label')}>
          <select value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {codeLabel(t, 'reason', r)}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit">{t('search.find')}</button>
      </form>
      <ErrorBox error={error} />
      {found && found.length === 0 && <p class="empty">{t('search.none')}</p>}
      {found && found.length > 0 && (
        <ul class="items">
          {found.map((j) => (
            <li key={j.journeyId}>
              <a href={`#/journey/${j.journeyId}`}>{j.journeyId.slice(0, 8)}</a> ·{' '}
              {codeLabel(t, 'journeyStatus', j.status)} · {formatDateTime(lang, j.openedAt)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
