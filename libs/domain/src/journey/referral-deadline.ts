import { careTimeMs } from '../shared/care-time';
import type { DeadlinePolicy } from './journey.commands';
import type { ReferralPriority } from './journey.events';

/**
 * Default decision deadlines (docs/domain.md, "Referral workflow states"): green channel 2 hours, urgent 24 hours,
 * routine 2 working days. The working week is Monday to Friday in China's fixed UTC+8; public holidays are not
 * modelled (a deployment that needs them should lengthen the routine deadline by config).
 */
export const DEFAULT_DEADLINE_POLICY: DeadlinePolicy = {
  greenChannelMinutes: 120,
  urgentMinutes: 24 * 60,
  routineWorkingDays: 2,
  utcOffsetMinutes: 480,
};

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * The deadline for the receiving side's decision, as ISO-8601 in the policy's offset (e.g. `+08:00`).
 * Routine referrals count working days: each day added lands on the same local time of the next weekday, so a
 * Friday request is due on Tuesday and a Saturday request on Tuesday as well.
 */
export function computeDeadline(
  requestedAt: string,
  priority: ReferralPriority,
  policy: DeadlinePolicy,
): string {
  const start = careTimeMs(requestedAt);
  switch (priority) {
    case 'green-channel':
      return formatInOffset(start + policy.greenChannelMinutes * MINUTE, policy.utcOffsetMinutes);
    case 'urgent':
      return formatInOffset(start + policy.urgentMinutes * MINUTE, policy.utcOffsetMinutes);
    case 'routine': {
      const offset = policy.utcOffsetMinutes * MINUTE;
      // Work on a "local wall clock" timeline so weekday arithmetic uses the care setting's calendar.
      let local = start + offset;
      for (let added = 0; added < policy.routineWorkingDays;) {
        local += DAY;
        if (!isWeekend(local)) added++;
      }
      return formatInOffset(local - offset, policy.utcOffsetMinutes);
    }
  }
}

function isWeekend(localMillis: number): boolean {
  const day = new Date(localMillis).getUTCDay();
  return day === 0 || day === 6;
}

/** `2026-03-02T10:00:00+08:00`: seconds precision, the offset the institution's staff read. */
export function formatInOffset(utcMillis: number, offsetMinutes: number): string {
  const local = new Date(utcMillis + offsetMinutes * MINUTE).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}
