import { createContext } from 'preact';
import { useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { allowed, ApiError, get, post, type Session, setCsrfToken } from './api';
import { codeLabel, I18n, type Lang, translator } from './i18n';
import { AuditScreen } from './screens/audit';
import { JourneyScreen } from './screens/journey';
import { LoginScreen } from './screens/login';
import { WorklistScreen } from './screens/worklist';

export interface Institution {
  readonly institutionId: string;
  readonly name: string;
  readonly tier: string;
  readonly allianceId: string | null;
  readonly regionCode: string;
  readonly wards?: Readonly<Record<string, { readonly openBeds?: number }>>;
}

export interface Directory {
  readonly list: readonly Institution[];
  readonly name: (id: string | null | undefined) => string;
}

export const SessionContext = createContext<Session | null>(null);
export const DirectoryContext = createContext<Directory>({ list: [], name: (id) => id ?? '—' });
export const useSession = () => useContext(SessionContext)!;
export const useDirectory = () => useContext(DirectoryContext);

const LANG_KEY = 'carepath.console.lang';

function route(): string[] {
  return location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

export function App() {
  const [lang, setLang] = useState<Lang>(() => (localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh-CN'));
  const t = useMemo(() => translator(lang), [lang]);
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [institutions, setInstitutions] = useState<Institution[]>([]);
  const [path, setPath] = useState(route);
  const tabs = session
    ? [
        {
          id: 'worklist',
          label: t('nav.worklist'),
          show: allowed(session, 'GET', '/worklists/:institutionId'),
        },
        {
          id: 'dashboards',
          label: t('nav.dashboards'),
          show: allowed(session, 'GET', '/analytics/referrals'),
        },
        { id: 'audit', label: t('nav.audit'), show: allowed(session, 'GET', '/audit/access') },
      ].filter((tab) => tab.show)
    : [];
  // Without a screen named in the address, a person lands on the first their role may use (an analyst: dashboards).
  const current = path[0] ?? tabs[0]?.id ?? 'worklist';
  // ECharts is most of the bundle: it loads with the dashboards, not with the worklist (bench/console.bench.ts).
  const [Dashboards, setDashboards] = useState<(() => preact.JSX.Element) | null>(null);
  useEffect(() => {
    if (current === 'dashboards' && !Dashboards) {
      void import('./screens/dashboards').then((m) => setDashboards(() => m.DashboardsScreen));
    }
  }, [current]);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t('app.title');
    localStorage.setItem(LANG_KEY, lang);
  }, [lang, t]);
  useEffect(() => {
    const onHash = () => setPath(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const loadSession = async () => {
    try {
      const s = await get<Session>('/console/auth/session');
      setCsrfToken(s.csrfToken);
      setSession(s);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) setSession(null);
      else throw e;
    }
  };
  useEffect(() => {
    void loadSession();
  }, []);
  useEffect(() => {
    if (!session) return;
    void get<Institution[]>('/institutions').then(setInstitutions);
  }, [session]);
  const directory = useMemo<Directory>(() => {
    const byId = new Map(institutions.map((i) => [i.institutionId, i]));
    return { list: institutions, name: (id) => (id ? (byId.get(id)?.name ?? id) : '—') };
  }, [institutions]);

  const signOut = async () => {
    await post('/console/auth/logout', {});
    setSession(null);
    location.hash = '';
  };

  let screen;
  if (session === undefined) screen = <p class="loading">{t('app.loading')}</p>;
  else if (session === null)
    screen = (
      <LoginScreen
        onSignedIn={async () => {
          setPath(route());
          await loadSession();
        }}
      />
    );
  else {
    const [, id] = path;
    const name = current;
    if (name === 'journey' && id) screen = <JourneyScreen journeyId={id} key={id} />;
    else if (name === 'dashboards')
      screen = Dashboards ? <Dashboards /> : <p class="loading">{t('app.loading')}</p>;
    else if (name === 'audit') screen = <AuditScreen />;
    else screen = <WorklistScreen />;
  }

  return (
    <I18n.Provider value={{ lang, t }}>
      <SessionContext.Provider value={session ?? null}>
        <DirectoryContext.Provider value={directory}>
          <a class="skip" href="#main">
            {t('app.skip')}
          </a>
          <header class="top">
            <h1>{t('app.title')}</h1>
            {tabs.length > 0 && (
              <nav aria-label={t('nav.label')}>
                {tabs.map((tab) => (
                  <a key={tab.id} href={`#/${tab.id}`} aria-current={current === tab.id ? 'page' : undefined}>
                    {tab.label}
                  </a>
                ))}
              </nav>
            )}
            <div class="who">
              {session && (
                <span class="actor" data-testid="actor">
                  {session.actorId} · {codeLabel(t, 'role', session.role)} ·{' '}
                  {directory.name(session.institutionId)}
                </span>
              )}
              <label class="lang">
                <span class="visually-hidden">{t('app.language')}</span>
                <select
                  value={lang}
                  onChange={(e) => setLang(e.currentTarget.value === 'en' ? 'en' : 'zh-CN')}
                  data-testid="language"
                >
                  <option value="zh-CN">中文</option>
                  <option value="en">English</option>
                </select>
              </label>
              {session && (
                <button type="button" onClick={() => void signOut()}>
                  {t('app.signOut')}
                </button>
              )}
            </div>
          </header>
          <main id="main" tabIndex={-1}>
            {screen}
          </main>
        </DirectoryContext.Provider>
      </SessionContext.Provider>
    </I18n.Provider>
  );
}
