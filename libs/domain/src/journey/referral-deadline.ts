import { formatCalendarDate } from '../family-doctor/calendar-date';
import { WorkingCalendar } from '../calendar/working-calendar';
import { careTimeMs } from '../shared/care-time';
import type { DeadlinePolicy } from './journey.commands';
import type { ReferralPriority } from './journey.events';

/**
 * Default decision deadlines (docs/domain.md, "Referral workflow states"): green channel 2 hours, urgent 24 hours,
 * routine 2 working days, in China's fixed UTC+8. Its calendar is Monday to Friday in every year, for specs and
 * tools without reference data; the API passes the recorded holiday calendar instead (docs/holidays.md).
 */
export const DEFAULT_DEADLINE_POLICY: DeadlinePolicy = {
  greenChannelMinutes: 120,
  urgentMinutes: 24 * 60,
  routineWorkingDays: 2,
  utcOffsetMinutes: 480,
  calendar: WorkingCalendar.mondayToFriday(),
};

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * The deadline for the receiving side's decision, as ISO-8601 in the policy's offset (e.g. `+08:00`).
 * Routine referrals count working days of the policy's calendar: each day added lands on the same local time of the
 * next working day, so a Friday request is due on Tuesday, and one made the day before Spring Festival is due after
 * the holiday (a make-up Saturday counts). A day in a year the calendar does not cover throws
 * CALENDAR_YEAR_NOT_COVERED: no deadline is better than a wrong one.
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
      // Work on a "local wall clock" timeline so working days are the care setting's calendar dates.
      let local = start + offset;
      for (let added = 0; added < policy.routineWorkingDays;) {
        local += DAY;
        if (policy.calendar.isWorkingDay(formatCalendarDate(Math.floor(local / DAY)))) added++;
      }
      return formatInOffset(local - offset, policy.utcOffsetMinutes);
    }
  }
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
