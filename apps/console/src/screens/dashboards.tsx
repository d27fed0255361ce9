import { useEffect, useMemo, useState } from 'preact/hooks';
import { allowed, get, query } from '../api';
import { useDirectory, useSession } from '../app';
import { Chart, type ChartOption } from '../chart';
import { codeLabel, useI18n } from '../i18n';
import type { MessageKey } from '../strings';
import { ErrorBox, Field } from '../ui';

/*
 * Dashboards over the analytics routes (docs/analytics.md): every figure comes from the API, each chart offers the
 * same rows as CSV from the API's own CSV (`format=csv`), and the period is the API's (a year, month, ISO week or
 * day; a year is drawn month by month).
 */

interface Ratio {
  readonly rate: number | null;
  readonly numerator?: number;
  readonly denominator?: number;
}

const MONTHS = Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(2, '0'));
const isYear = (period: string) => /^\d{4}$/.test(period);
/** The buckets a period is drawn in: the months of a year, or the period itself. */
const buckets = (period: string) => (isYear(period) ? MONTHS.map((m) => `${period}-${m}`) : [period]);
const csvHref = (path: string, params: Record<string, string | undefined>) =>
  `${path}${query({ ...params, format: 'csv' })}`;

function Card({
  title,
  csv,
  error,
  children,
  testId,
  empty = false,
}: {
  title: string;
  csv: readonly { href: string; label?: string }[];
  error: unknown;
  children: preact.ComponentChildren;
  testId: string;
  /** The API answered no rows for the period: say so rather than draw empty axes. */
  empty?: boolean;
}) {
  const { t } = useI18n();
  return (
    <section class="panel card" aria-label={title} data-testid={testId}>
      <div class="card-head">
        <h3>{title}</h3>
        {csv.map((c) => (
          <a key={c.href} class="button" href={c.href} download>
            {c.label ?? t('dash.csv')}
          </a>
        ))}
      </div>
      <ErrorBox error={error} />
      {empty ? <p class="empty">{t('dash.noData')}</p> : children}
    </section>
  );
}

function useRows<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    load().then(
      (d) => live && setData(d),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, deps);
  return { data, error };
}

export function DashboardsScreen() {
  const { t } = useI18n();
  const session = useSession();
  const directory = useDirectory();
  const [period, setPeriod] = useState(String(new Date().getFullYear()));
  const [draft, setDraft] = useState(period);
  const [institutionId, setInstitution] = useState('');
  const [target, setTarget] = useState(65);
  const fd = allowed(session, 'GET', '/analytics/family-doctor-coverage');

  return (
    <section aria-labelledby="dash-title">
      <div class="screen-head">
        <h2 id="dash-title">{t('dash.title')}</h2>
      </div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setPeriod(draft.trim());
        }}
      >
        <Field label={t('dash.period')}>
          <input
            value={draft}
            onInput={(e) => setDraft(e.currentTarget.value)}
            aria-describedby="period-hint"
            data-testid="period"
          />
        </Field>
        <span id="period-hint" class="hint">
          {t('dash.periodHint')}
        </span>
        <Field label={t('dash.institution')}>
          <select value={institutionId} onChange={(e) => setInstitution(e.currentTarget.value)}>
            <option value="">{t('filter.all')}</option>
            {directory.list.map((i) => (
              <option key={i.institutionId} value={i.institutionId}>
                {i.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('dash.target')}>
          <input
            type="number"
            min={0}
            max={100}
            value={target}
            onInput={(e) => setTarget(Number(e.currentTarget.value))}
          />
        </Field>
        <button type="submit">{t('dash.apply')}</button>
      </form>
      <div class="cards">
        <WardOccupancy period={period} institutionId={institutionId} />
        <ReferralVolume period={period} institutionId={institutionId} />
        <CommunityShare period={period} target={target} />
        {fd && <Coverage period={period} />}
        {fd && <SlotUse period={period} institutionId={institutionId} />}
        {PROCESS_CHARTS.filter((c) => allowed(session, 'GET', c.path)).map((c) => (
          <Outcomes
            key={c.testId}
            {...c}
            params={{ period, groupBy: c.by, institutionId: institutionId || undefined }}
          />
        ))}
      </div>
    </section>
  );
}

function WardOccupancy({ period, institutionId }: { period: string; institutionId: string }) {
  const { t } = useI18n();
  const directory = useDirectory();
  const months = buckets(period);
  const params = (p: string) => ({ period: p, groupBy: 'ward', institutionId: institutionId || undefined });
  const { data, error } = useRows(
    () =>
      Promise.all(
        months.map((p) =>
          get<{ rows: { institutionId: string; wardId: string; figures: { bedUseRate: number | null } }[] }>(
            `/analytics/ward-occupancy${query(params(p))}`,
          ),
        ),
      ),
    [period, institutionId],
  );
  const option = useMemo<ChartOption | null>(() => {
    if (!data) return null;
    const wards = new Map<string, (number | null)[]>();
    data.forEach((answer, i) => {
      for (const row of answer.rows) {
        const name = `${directory.name(row.institutionId)} · ${row.wardId}`;
        const series = wards.get(name) ?? months.map(() => null);
        series[i] = row.figures.bedUseRate;
        wards.set(name, series);
      }
    });
    return {
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', bottom: 0 },
      grid: { left: 48, right: 16, top: 24, bottom: 56 },
      xAxis: { type: 'category', data: months },
      yAxis: { type: 'value', name: '%' },
      series: [...wards].map(([name, values]) => ({ name, type: 'bar', data: values })),
    };
  }, [data, directory]);
  return (
    <Card
      title={t('dash.wardOccupancy')}
      empty={data?.every((answer) => answer.rows.length === 0)}
      testId="chart-ward-occupancy"
      error={error}
      csv={[{ href: csvHref('/analytics/ward-occupancy', { ...params(period), groupBy: 'ward' }) }]}
    >
      {option && <Chart option={option} summary={t('dash.wardOccupancy')} testId="echarts-ward-occupancy" />}
    </Card>
  );
}

interface VolumeRow {
  readonly group: { readonly period?: string; readonly direction?: string };
  readonly figures: { readonly total: number };
  readonly growth: number | null;
}

function ReferralVolume({ period, institutionId }: { period: string; institutionId: string }) {
  const { t } = useI18n();
  const params = {
    period,
    groupBy: 'period,direction',
    unit: 'month',
    institutionId: institutionId || undefined,
  };
  const { data, error } = useRows(
    () => get<{ rows: VolumeRow[] }>(`/analytics/referrals${query(params)}`),
    [period, institutionId],
  );
  const option = useMemo<ChartOption | null>(() => {
    if (!data) return null;
    const keys = [...new Set(data.rows.map((r) => r.group.period ?? period))].sort();
    const of = (direction: string) =>
      keys.map(
        (k) =>
          data.rows.find((r) => (r.group.period ?? period) === k && r.group.direction === direction)?.figures
            .total ?? 0,
      );
    const up = of('up');
    const down = of('down');
    const totals = keys.map((_, i) => (up[i] ?? 0) + (down[i] ?? 0));
    const growth = totals.map((v, i) => {
      const before = i > 0 ? totals[i - 1]! : null;
      return before ? Math.round(((v - before) / before) * 1000) / 10 : null;
    });
    return {
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 48, right: 48, top: 24, bottom: 48 },
      xAxis: { type: 'category', data: keys },
      yAxis: [
        { type: 'value', name: t('dash.referrals') },
        { type: 'value', name: '%', splitLine: { show: false } },
      ],
      series: [
        { name: codeLabel(t, 'direction', 'up'), type: 'bar', stack: 'v', data: up },
        { name: codeLabel(t, 'direction', 'down'), type: 'bar', stack: 'v', data: down },
        { name: t('dash.growth'), type: 'line', yAxisIndex: 1, data: growth, connectNulls: true },
      ],
    };
  }, [data, t]);
  return (
    <Card
      title={t('dash.referralVolume')}
      empty={data?.rows.length === 0}
      testId="chart-referrals"
      error={error}
      csv={[{ href: csvHref('/analytics/referrals', params) }]}
    >
      {option && <Chart option={option} summary={t('dash.referralVolume')} testId="echarts-referrals" />}
    </Card>
  );
}

function CommunityShare({ period, target }: { period: string; target: number }) {
  const { t } = useI18n();
  const params = { period, groupBy: 'alliance' };
  const { data, error } = useRows(
    () =>
      get<{ rows: { allianceId: string; communityShare: Ratio }[] }>(
        `/analytics/local-treatment${query(params)}`,
      ),
    [period],
  );
  const option = useMemo<ChartOption | null>(() => {
    if (!data) return null;
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 80, top: 24, bottom: 32 },
      xAxis: { type: 'category', data: data.rows.map((r) => r.allianceId), axisLabel: { interval: 0 } },
      yAxis: { type: 'value', name: '%', max: 100 },
      series: [
        {
          name: t('dash.communityShare'),
          type: 'bar',
          data: data.rows.map((r) => r.communityShare.rate),
          markLine: {
            symbol: 'none',
            data: [{ yAxis: target, name: t('dash.targetLine') }],
            label: { formatter: `${t('dash.targetLine')} {c}%` },
          },
        },
      ],
    };
  }, [data, target, t]);
  return (
    <Card
      title={t('dash.communityShare')}
      empty={data?.rows.length === 0}
      testId="chart-community"
      error={error}
      csv={[{ href: csvHref('/analytics/local-treatment', params) }]}
    >
      {option && <Chart option={option} summary={t('dash.communityShare')} testId="echarts-community" />}
    </Card>
  );
}

/** A chart of one analytics route: its card, its CSV link (the same query), and the chart once the rows are in. */
function RouteChart({
  title,
  testId,
  path,
  params,
  error,
  option,
  empty,
}: {
  title: MessageKey;
  testId: string;
  path: string;
  params: Record<string, string | undefined>;
  error: unknown;
  option: ChartOption | null;
  empty: boolean;
}) {
  const { t } = useI18n();
  return (
    <Card
      title={t(title)}
      testId={`chart-${testId}`}
      error={error}
      csv={[{ href: csvHref(path, params) }]}
      empty={empty}
    >
      {option && <Chart option={option} summary={t(title)} testId={`echarts-${testId}`} />}
    </Card>
  );
}

/** The frame of the charts by institution: tooltip, legend below, institution names that wrap under the bars. */
const byInstitution = (names: string[], right = 16) => ({
  tooltip: { trigger: 'axis' },
  legend: { bottom: 0 },
  grid: { left: 48, right, top: 24, bottom: 56 },
  xAxis: { type: 'category', data: names, axisLabel: { interval: 0, width: 120, overflow: 'break' } },
});

type RatioRow = Record<string, unknown>;

/**
 * Rates by institution as bars, one series per figure: family-doctor coverage by centre, slot use by hospital.
 * `figures` name the row fields holding a Ratio, with their legend keys.
 */
function RateBars({
  title,
  testId,
  path,
  params,
  by,
  figures,
}: {
  title: MessageKey;
  testId: string;
  path: string;
  params: Record<string, string | undefined>;
  by: string;
  figures: readonly (readonly [field: string, label: MessageKey])[];
}) {
  const { t } = useI18n();
  const directory = useDirectory();
  const { data, error } = useRows(
    () => get<{ rows: RatioRow[] }>(`${path}${query(params)}`),
    [query(params)],
  );
  const option = useMemo<ChartOption | null>(() => {
    if (!data) return null;
    return {
      ...byInstitution(data.rows.map((r) => directory.name(String(r[by])))),
      yAxis: { type: 'value', name: '%' },
      series: figures.map(([field, label]) => ({
        name: t(label),
        type: 'bar',
        data: data.rows.map((r) => (r[field] as Ratio | undefined)?.rate ?? null),
      })),
    };
  }, [data, directory, t]);
  return <RouteChart {...{ title, testId, path, params, error, option }} empty={data?.rows.length === 0} />;
}

const Coverage = ({ period }: { period: string }) => (
  <RateBars
    title="dash.familyDoctorCoverage"
    testId="coverage"
    path="/analytics/family-doctor-coverage"
    params={{ period, groupBy: 'centre' }}
    by="key"
    figures={[
      ['coverage', 'dash.coverage'],
      ['keyGroupCoverage', 'dash.keyGroupCoverage'],
    ]}
  />
);

const SlotUse = ({ period, institutionId }: { period: string; institutionId: string }) => (
  <RateBars
    title="dash.slotUse"
    testId="slot-use"
    path="/analytics/slot-use"
    params={{ period, hospitalId: institutionId || undefined }}
    by="hospitalId"
    figures={[
      ['utilisation', 'dash.utilisation'],
      ['noShowRate', 'dash.noShow'],
    ]}
  />
);

/** Issue 20's process outcomes: follow-ups by the owing centre, transfer proposals by the proposing hospital. */
const PROCESS_CHARTS = [
  {
    title: 'dash.followUps',
    testId: 'follow-ups',
    path: '/analytics/referrals/follow-ups',
    by: 'institution',
    stacks: [
      ['doneInTime', 'dash.doneInTime'],
      ['doneLate', 'dash.doneLate'],
      ['overdue', 'dash.overdue'],
      ['notYetDue', 'dash.notYetDue'],
    ],
    rate: ['completionRate', 'dash.completionRate'],
  },
  {
    title: 'dash.proposals',
    testId: 'proposals',
    path: '/analytics/referrals/transfer-proposals',
    by: 'fromInstitution',
    stacks: [
      ['accepted', 'dash.accepted'],
      ['declined', 'dash.declined'],
      ['lapsed', 'dash.lapsed'],
      ['open', 'dash.open'],
    ],
    rate: ['acceptanceRate', 'dash.acceptanceRate'],
  },
] as const satisfies readonly Omit<OutcomesProps, 'params'>[];

interface OutcomesProps {
  readonly title: MessageKey;
  readonly testId: string;
  readonly path: string;
  readonly params: Record<string, string | undefined>;
  readonly by: string;
  readonly stacks: readonly (readonly [field: string, label: MessageKey])[];
  readonly rate: readonly [field: string, label: MessageKey];
}

/**
 * What became of the care processes' acts (docs/analytics.md): counts stacked by outcome per institution, and the
 * rate the API computes from them on a second axis.
 */
function Outcomes({ title, testId, path, params, by, stacks, rate }: OutcomesProps) {
  const { t } = useI18n();
  const directory = useDirectory();
  const { data, error } = useRows(
    () =>
      get<{ rows: { group: Record<string, string | null>; figures: Record<string, number | null> }[] }>(
        `${path}${query(params)}`,
      ),
    [query(params)],
  );
  const option = useMemo<ChartOption | null>(() => {
    if (!data) return null;
    return {
      ...byInstitution(
        data.rows.map((r) => directory.name(r.group[by] ?? null)),
        48,
      ),
      yAxis: [{ type: 'value' }, { type: 'value', name: '%', max: 100, splitLine: { show: false } }],
      series: [
        ...stacks.map(([field, label]) => ({
          name: t(label),
          type: 'bar',
          stack: 'n',
          data: data.rows.map((r) => r.figures[field] ?? 0),
        })),
        {
          name: t(rate[1]),
          type: 'line',
          yAxisIndex: 1,
          data: data.rows.map((r) => r.figures[rate[0]] ?? null),
        },
      ],
    };
  }, [data, directory, t]);
  return <RouteChart {...{ title, testId, path, params, error, option }} empty={data?.rows.length === 0} />;
}
