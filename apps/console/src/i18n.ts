import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en, type MessageKey, zhCN } from './strings';

export type Lang = 'zh-CN' | 'en';
export const DICTIONARIES: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = {
  'zh-CN': zhCN,
  en,
};

export type Translate = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;

/** `{name}` placeholders filled from `values`; a key is always present in both dictionaries (strings.ts). */
export function translator(lang: Lang): Translate {
  const dictionary = DICTIONARIES[lang];
  return (key, values) =>
    dictionary[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      values && name in values ? String(values[name]) : whole,
    );
}

export const I18n = createContext<{ lang: Lang; t: Translate }>({ lang: 'zh-CN', t: translator('zh-CN') });
export const useI18n = () => useContext(I18n);

/** A code the API answers (status, priority, direction...) in words, or the code itself when unnamed. */
export function codeLabel(t: Translate, group: string, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '—';
  const key = `${group}.${code}` as MessageKey;
  return key in zhCN ? t(key) : code;
}

export function formatDateTime(lang: Lang, iso: string | null | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Intl.DateTimeFormat(lang, {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(ms);
}

/** "2 d 3 h", "45 min": what is left before a deadline, or how long past it. */
export function duration(t: Translate, ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return t('time.daysHours', { d: days, h: hours });
  if (hours > 0) return t('time.hoursMinutes', { h: hours, m: rest });
  return t('time.minutes', { m: rest });
}
