import { type Env, numberSetting, oneOf } from './env-settings';

/*
 * The process manager's settings (docs/operations.md, "Processes"). The periods are read by the runner at every
 * pass, not baked into the read model, so a change takes effect at the next start without a rebuild.
 */

export interface ProcessConfig {
  /** PROCESSES `on` (default) or `off`: whether the API runs the processes at all. */
  readonly enabled: boolean;
  /** REFERRAL_REMINDER_FRACTION: share of the time to decision after which an undecided referral is reminded. */
  readonly reminderFraction: number;
  /** TRANSFER_STABLE_DAYS: days from surgery to the downward transfer proposal. */
  readonly transferStableDays: number;
  /** FOLLOW_UP_DAYS: days from discharge a follow-up is due by. */
  readonly followUpDays: number;
  /** FOLLOW_UP_PRIORITY_DAYS: the same after surgery in the stay, or for a resident in a key group. */
  readonly followUpPriorityDays: number;
  /**
   * REFERRAL_LATE_ENTRY_GRACE_MINUTES: the least time between recording a referral's request and its expiry by the
   * process. Only a request entered late (after or just before its deadline) waits for it.
   */
  readonly lateEntryGraceMinutes: number;
}

export const DEFAULT_PROCESS_CONFIG: ProcessConfig = {
  enabled: true,
  reminderFraction: 0.8,
  transferStableDays: 3,
  followUpDays: 14,
  followUpPriorityDays: 7,
  lateEntryGraceMinutes: 60,
};

export function loadProcessConfig(env: Env): ProcessConfig {
  const d = DEFAULT_PROCESS_CONFIG;
  const switched = oneOf(env, 'PROCESSES', ['on', 'off'] as const, 'on');
  const config: ProcessConfig = {
    enabled: switched === 'on',
    // Above 0 (a reminder at the request is no reminder), below 1 (at the deadline the expiry acts instead).
    reminderFraction: numberSetting(env, 'REFERRAL_REMINDER_FRACTION', d.reminderFraction, 0.01, 0.99, false),
    transferStableDays: numberSetting(env, 'TRANSFER_STABLE_DAYS', d.transferStableDays, 0, 90),
    followUpDays: numberSetting(env, 'FOLLOW_UP_DAYS', d.followUpDays, 1, 365),
    followUpPriorityDays: numberSetting(env, 'FOLLOW_UP_PRIORITY_DAYS', d.followUpPriorityDays, 1, 365),
    lateEntryGraceMinutes: numberSetting(
      env,
      'REFERRAL_LATE_ENTRY_GRACE_MINUTES',
      d.lateEntryGraceMinutes,
      0,
      7 * 24 * 60,
    ),
  };
  if (config.followUpPriorityDays > config.followUpDays) {
    throw new Error(
      `Configuration FOLLOW_UP_PRIORITY_DAYS (${config.followUpPriorityDays}) must not exceed FOLLOW_UP_DAYS (${config.followUpDays})`,
    );
  }
  return config;
}
