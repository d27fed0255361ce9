import {
  type ContractPolicy,
  DEFAULT_CONTRACT_POLICY,
  DEFAULT_SLOT_RELEASE_POLICY,
  isKeyGroup,
  type KeyGroup,
  type PriorityRule,
  type SlotReleasePolicy,
} from '@carepath/domain';
import { type Env, numberSetting, oneOf } from './env-settings';

/*
 * Family-doctor contracts and specialist slot releases, as configured (docs/family-doctors.md, "Contracts" and
 * "Release window and priority"). Unset, each setting is the decider's default; a value out of range stops the
 * start-up here rather than every renewal or release later.
 */

/** CONTRACT_RENEWAL_WINDOW_DAYS: renewal opens this many days before expiry (default 90). */
export function loadContractPolicy(env: Env): ContractPolicy {
  return {
    renewalWindowDays: numberSetting(
      env,
      'CONTRACT_RENEWAL_WINDOW_DAYS',
      DEFAULT_CONTRACT_POLICY.renewalWindowDays,
      0,
      366,
    ),
  };
}

/**
 * SLOT_BOOKING_WINDOW_DAYS, SLOT_CANCEL_CUTOFF_HOURS, SLOT_PRIORITY_KEY_GROUPS (comma-separated codes) and the
 * priority rule: SLOT_PRIORITY_MODE `share` (SLOT_PRIORITY_SHARE_PERCENT held until SLOT_PRIORITY_LAPSE_HOURS before
 * the session) or `head-start` (the whole release held for SLOT_PRIORITY_HEAD_START_HOURS after it opens).
 */
export function loadSlotReleasePolicy(env: Env): SlotReleasePolicy {
  const defaults = DEFAULT_SLOT_RELEASE_POLICY;
  const share = defaults.priority.mode === 'share' ? defaults.priority : null;
  const mode = oneOf(env, 'SLOT_PRIORITY_MODE', ['share', 'head-start'] as const, defaults.priority.mode);
  const priority: PriorityRule =
    mode === 'share'
      ? {
          mode,
          sharePercent: numberSetting(
            env,
            'SLOT_PRIORITY_SHARE_PERCENT',
            share?.sharePercent ?? 50,
            0,
            100,
            false,
          ),
          lapseHoursBeforeStart: hours(env, 'SLOT_PRIORITY_LAPSE_HOURS', share?.lapseHoursBeforeStart ?? 48),
        }
      : { mode, hours: hours(env, 'SLOT_PRIORITY_HEAD_START_HOURS', 24) };
  return {
    bookingWindowDays: numberSetting(env, 'SLOT_BOOKING_WINDOW_DAYS', defaults.bookingWindowDays, 0, 30),
    priority,
    priorityKeyGroups: keyGroups(env, defaults.priorityKeyGroups),
    cancelCutoffHours: hours(env, 'SLOT_CANCEL_CUTOFF_HOURS', defaults.cancelCutoffHours),
  };
}

/** Hours of a slot release rule: up to 30 days, fractions allowed. */
function hours(env: Env, name: string, fallback: number): number {
  return numberSetting(env, name, fallback, 0, 720, false);
}

function keyGroups(env: Env, fallback: readonly KeyGroup[]): readonly KeyGroup[] {
  const raw = env.SLOT_PRIORITY_KEY_GROUPS;
  if (raw === undefined || raw === '') return fallback;
  const codes = raw.split(',').map((c) => c.trim());
  const unknown = codes.find((c) => !isKeyGroup(c));
  if (unknown !== undefined) {
    throw new Error(`Configuration SLOT_PRIORITY_KEY_GROUPS names an unknown key group "${unknown}"`);
  }
  return codes as KeyGroup[];
}
