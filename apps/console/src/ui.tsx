import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ApiError, newKey } from './api';
import { useI18n } from './i18n';

/** The API's own refusal: its message lines and code; a 409 offers to reload what moved underneath. */
export function ErrorBox({ error, onReload }: { error: unknown; onReload?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  const lines = api
    ? Array.isArray(api.body.message)
      ? api.body.message
      : [api.body.message ?? api.message]
    : [error instanceof Error ? error.message : t('error.network')];
  return (
    <div class="error" role="alert">
      <strong>{api ? t('error.status', { status: api.status }) : t('error.network')}</strong>
      {api?.body.code && <code class="code">{api.body.code}</code>}
      <ul>
        {lines.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      {api?.status === 409 && onReload && (
        <button type="button" onClick={onReload}>
          {t('error.reload')}
        </button>
      )}
    </div>
  );
}

/**
 * One attempt at an action: the same Idempotency-Key until the API has answered it, so a double click or a retry
 * after a lost answer is replayed by the API instead of recorded twice; a new key for the next attempt.
 */
export function useAction(onDone: () => void) {
  const key = useRef(newKey());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (act: (idempotencyKey: string) => Promise<unknown>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await act(key.current);
      key.current = newKey();
      onDone();
    } catch (e) {
      // A refusal (4xx) ends the attempt: nothing was written. No answer, or a 5xx (a write that landed but whose
      // read models were slow to show it answers 503), keeps the key, so the retry is replayed, not written twice.
      if (e instanceof ApiError && e.status < 500) key.current = newKey();
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error, clear: () => setError(null) };
}

export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** Now as an RFC 3339 date-time in UTC+8, minutes precision: the care time a form proposes. */
export function nowInShanghai(at = Date.now()): string {
  const local = new Date(at + 8 * 3600_000).toISOString().slice(0, 16);
  return `${local}:00+08:00`;
}
