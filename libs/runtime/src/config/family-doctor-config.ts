import {
  type ContractPolicy,
  DEFAULT_CONTRACT_POLICY,
  DEFAULT_SLOT_RELEASE_POLICY,
  isKeyGroup,
  type KeyGroup,
  type PriorityRule,
  type SlotReleasePolicy,
} from '@carepath/domain';

/*
 * Family-doctor contracts and specialist slot releases, as configured (docs/family-doctors.md, "Contracts" and
 * "Release window and priority"). Unset, each setting is the decider's default; a value out of range stops the
 * start-up here rather than every renewal or release later.
 */

type Env = Readonly<Record<string, string | undefined>>;

function number(env: Env, name: string, fallback: number, max: number, integer: boolean): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(
      `Configuration ${name} must be ${integer ? 'an integer' : 'a number'} from 0 to ${max}, got "${raw}"`,
    );
  }
  return value;
}

/** CONTRACT_RENEWAL_WINDOW_DAYS: renewal opens this many days before expiry (default 90). */
export function loadContractPolicy(env: Env): ContractPolicy {
  return {
    renewalWindowDays: number(
      env,
      'CONTRACT_RENEWAL_WINDOW_DAYS',
      DEFAULT_CONTRACT_POLICY.renewalWindowDays,
      366,
      true,
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
  const mode = env.SLOT_PRIORITY_MODE || defaults.priority.mode;
  let priority: PriorityRule;
  if (mode === 'share') {
    priority = {
      mode,
      sharePercent: number(env, 'SLOT_PRIORITY_SHARE_PERCENT', share?.sharePercent ?? 50, 100, false),
      lapseHoursBeforeStart: number(
        env,
        'SLOT_PRIORITY_LAPSE_HOURS',
        share?.lapseHoursBeforeStart ?? 48,
        720,
        false,
      ),
    };
  } else if (mode === 'head-start') {
    priority = { mode, hours: number(env, 'SLOT_PRIORITY_HEAD_START_HOURS', 24, 720, false) };
  } else {
    throw new Error(`Configuration SLOT_PRIORITY_MODE must be one of share, head-start, got "${mode}"`);
  }
  return {
    bookingWindowDays: number(env, 'SLOT_BOOKING_WINDOW_DAYS', defaults.bookingWindowDays, 30, true),
    priority,
    priorityKeyGroups: keyGroups(env, defaults.priorityKeyGroups),
    cancelCutoffHours: number(env, 'SLOT_CANCEL_CUTOFF_HOURS', defaults.cancelCutoffHours, 720, false),
  };
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
