import { useDirectory } from '../app';
import { codeLabel, formatDateTime, useI18n } from '../i18n';
import type { HistoryEvent } from './journey';

export interface TimelineStep {
  readonly kind: 'visit' | 'referral' | 'stay' | 'leave' | 'surgery' | 'rehab-session';
  readonly at: string;
  readonly until: string | null;
  readonly institutionId: string;
  readonly toInstitutionId: string | null;
  readonly id: string;
  readonly detail: Readonly<Record<string, string | boolean | null>>;
  readonly hours: number | null;
}

export interface TimelineData {
  readonly journeyId: string;
  readonly status: string;
  readonly steps: readonly TimelineStep[];
  readonly institutions: readonly {
    readonly institutionId: string;
    readonly inpatientHours: number;
    readonly visits: number;
  }[];
}

/**
 * The journey across institutions: one lane per institution, time running left to right. Stays are bars (leave
 * from a held bed hatched over them, ward moves ticked), visits, surgery and rehab are marks, a referral is a mark in
 * the sending lane and one in the receiving lane, coloured by its outcome. The same steps are listed below in
 * words, for screen readers and for printing.
 */
export function Timeline({ data, history }: { data: TimelineData; history: readonly HistoryEvent[] }) {
  const { t, lang } = useI18n();
  const directory = useDirectory();
  const lanes: string[] = [];
  const lane = (id: string | null) => {
    if (id && !lanes.includes(id)) lanes.push(id);
  };
  for (const s of data.steps) {
    lane(s.institutionId);
    lane(s.toInstitutionId);
  }
  const times = data.steps.flatMap((s) => [
    Date.parse(s.at),
    s.until ? Date.parse(s.until) : Date.parse(s.at),
  ]);
  const moves = history.filter((e) => e.type === 'PatientMovedWard' && !e.amendedBy?.enteredInErrorBy);
  for (const m of moves) times.push(Date.parse(String(m.metadata.occurredAt)));
  const openStays = data.steps.some((s) => s.kind === 'stay' && s.until === null);
  const start = Math.min(...times);
  let end = Math.max(...times, openStays ? Date.now() : 0);
  if (!(end > start)) end = start + 3600_000;
  const pad = (end - start) * 0.03;
  const from = start - pad;
  const span = end + pad - from;
  const x = (iso: string) => ((Date.parse(iso) - from) / span) * 100;

  const admissionLane = new Map(
    data.steps.filter((s) => s.kind === 'stay').map((s) => [s.id, s.institutionId]),
  );
  const label = (s: TimelineStep) =>
    `${codeLabel(t, 'step', s.kind)} · ${formatDateTime(lang, s.at)}${s.until ? ` – ${formatDateTime(lang, s.until)}` : ''}${
      s.kind === 'referral'
        ? ` · ${directory.name(s.institutionId)} → ${directory.name(s.toInstitutionId)} · ${codeLabel(t, 'status', String(s.detail.status))}`
        : ''
    }`;

  return (
    <section class="panel" aria-labelledby="timeline-title">
      <h3 id="timeline-title">{t('journey.timeline')}</h3>
      <div
        class="timeline"
        data-testid="timeline"
        role="img"
        aria-label={t('timeline.summary', { steps: data.steps.length, lanes: lanes.length })}
      >
        <div class="axis" aria-hidden="true">
          <span>{formatDateTime(lang, new Date(start).toISOString())}</span>
          <span>{formatDateTime(lang, new Date(end).toISOString())}</span>
        </div>
        {lanes.map((id) => (
          <div class="lane" key={id} data-lane={id}>
            <div class="lane-name">{directory.name(id)}</div>
            <div class="lane-track">
              {data.steps
                .filter((s) => s.institutionId === id || (s.kind === 'referral' && s.toInstitutionId === id))
                .map((s) => {
                  const left = x(s.at);
                  if (s.kind === 'stay' || s.kind === 'leave') {
                    const right = x(s.until ?? new Date(end).toISOString());
                    return (
                      <span
                        key={s.id}
                        class={`bar ${s.kind}${s.until ? '' : ' open'}`}
                        style={{ left: `${left}%`, width: `${Math.max(0.8, right - left)}%` }}
                        title={label(s)}
                        data-kind={s.kind}
                      />
                    );
                  }
                  const receiving =
                    s.kind === 'referral' && s.toInstitutionId === id && s.institutionId !== id;
                  const status = s.kind === 'referral' ? String(s.detail.status) : '';
                  return (
                    <span
                      key={`${s.id}-${receiving ? 'to' : 'from'}`}
                      class={`mark ${s.kind}${receiving ? ' receiving' : ''}${status ? ` s-${status}` : ''}`}
                      style={{ left: `${receiving && s.until ? x(s.until) : left}%` }}
                      title={label(s)}
                      data-kind={s.kind}
                      data-status={status || undefined}
                    />
                  );
                })}
              {moves
                .filter((m) => admissionLane.get(String(m.data.admissionId)) === id)
                .map((m) => (
                  <span
                    key={m.id}
                    class="mark move"
                    style={{ left: `${x(String(m.metadata.occurredAt))}%` }}
                    title={`${t('step.move')} · ${formatDateTime(lang, String(m.metadata.occurredAt))}`}
                    data-kind="move"
                  />
                ))}
            </div>
          </div>
        ))}
        <ul class="legend" aria-hidden="true">
          {(['visit', 'referral', 'stay', 'leave', 'surgery', 'rehab-session', 'move'] as const).map((k) => (
            <li key={k}>
              <span class={`swatch ${k}`} /> {codeLabel(t, 'step', k)}
            </li>
          ))}
        </ul>
      </div>
      <ol class="steps">
        {data.steps.map((s) => (
          <li key={`${s.kind}-${s.id}`} data-step={s.kind}>
            {label(s)}
            {s.kind !== 'referral' && ` · ${directory.name(s.institutionId)}`}
          </li>
        ))}
      </ol>
    </section>
  );
}
