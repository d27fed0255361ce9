import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api';
import { useI18n } from '../i18n';
import { ErrorBox } from '../ui';

/**
 * Signing in: a one-time login link carries its token in the URL's fragment (#login=…), which browsers never send
 * to a server, so neither proxies' logs nor a chat app's link preview can spend it; this screen posts it once. With
 * an identity provider the console starts the authorization code flow and finishes it when the provider sends the
 * browser back here with ?code=&state= (docs/console.md, "Sign-in").
 */
export function LoginScreen({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<'development' | 'oidc' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const finish = async (path: string, body: unknown) => {
    setBusy(true);
    try {
      await post(path, body);
      // The first screen the role may use opens (app.tsx); the link's token leaves the address bar.
      history.replaceState(null, '', location.pathname);
      await onSignedIn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const link = /^#login=([A-Za-z0-9_.-]+)$/.exec(location.hash);
    const search = new URLSearchParams(location.search);
    if (link?.[1]) {
      history.replaceState(null, '', location.pathname);
      void finish('/console/auth/sessions', { token: link[1] });
    } else if (search.has('code') || search.has('error')) {
      const callback = location.search;
      history.replaceState(null, '', location.pathname);
      void finish('/console/auth/oidc/callback', { query: callback });
    }
    void get<{ mode: 'development' | 'oidc' }>('/console/auth/config').then((c) => setMode(c.mode));
  }, []);

  const start = async () => {
    setBusy(true);
    try {
      const { authorizationUrl } = await post<{ authorizationUrl: string }>('/console/auth/oidc/start', {});
      location.assign(authorizationUrl);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <section class="login" aria-labelledby="login-title">
      <h2 id="login-title">{t('login.title')}</h2>
      {busy && <p>{t('login.signingIn')}</p>}
      <ErrorBox error={error} />
      {mode === 'oidc' && (
        <button type="button" class="primary" disabled={busy} onClick={() => void start()}>
          {t('login.withProvider')}
        </button>
      )}
      {mode === 'development' && (
        <>
          <p>{t('login.devHint')}</p>
          <pre>npm run cli -- login-link --actor coord-zhao --role coordinator --institution HOSP-CY-01</pre>
        </>
      )}
    </section>
  );
}
