import { DEFAULT_CONTRACT_POLICY, DEFAULT_SLOT_RELEASE_POLICY } from '@carepath/domain';
import { loadConfig } from './app-config';

describe('family-doctor and slot configuration', () => {
  it('defaults to the deciders’ policies (docs/family-doctors.md)', () => {
    const config = loadConfig({});
    expect(config.contractPolicy).toEqual(DEFAULT_CONTRACT_POLICY);
    expect(config.slotReleasePolicy).toEqual(DEFAULT_SLOT_RELEASE_POLICY);
  });

  it('reads every setting of a share policy', () => {
    const { slotReleasePolicy, contractPolicy } = loadConfig({
      CONTRACT_RENEWAL_WINDOW_DAYS: '60',
      SLOT_BOOKING_WINDOW_DAYS: '7',
      SLOT_PRIORITY_SHARE_PERCENT: '30',
      SLOT_PRIORITY_LAPSE_HOURS: '12.5',
      SLOT_PRIORITY_KEY_GROUPS: 'hypertension, age-65-plus',
      SLOT_CANCEL_CUTOFF_HOURS: '6',
    });
    expect(contractPolicy).toEqual({ renewalWindowDays: 60 });
    expect(slotReleasePolicy).toEqual({
      bookingWindowDays: 7,
      priority: { mode: 'share', sharePercent: 30, lapseHoursBeforeStart: 12.5 },
      priorityKeyGroups: ['hypertension', 'age-65-plus'],
      cancelCutoffHours: 6,
    });
  });

  it('reads a head start', () => {
    const head = loadConfig({ SLOT_PRIORITY_MODE: 'head-start', SLOT_PRIORITY_HEAD_START_HOURS: '36' });
    expect(head.slotReleasePolicy.priority).toEqual({ mode: 'head-start', hours: 36 });
    expect(loadConfig({ SLOT_PRIORITY_MODE: 'head-start' }).slotReleasePolicy.priority).toEqual({
      mode: 'head-start',
      hours: 24,
    });
  });

  it.each([
    ['CONTRACT_RENEWAL_WINDOW_DAYS', '367'],
    ['CONTRACT_RENEWAL_WINDOW_DAYS', '1.5'],
    ['SLOT_BOOKING_WINDOW_DAYS', '31'],
    ['SLOT_BOOKING_WINDOW_DAYS', 'five'],
    ['SLOT_PRIORITY_SHARE_PERCENT', '101'],
    ['SLOT_PRIORITY_LAPSE_HOURS', '-1'],
    ['SLOT_CANCEL_CUTOFF_HOURS', 'Infinity'],
    ['SLOT_PRIORITY_KEY_GROUPS', 'hypertension,diabetes'],
    ['SLOT_PRIORITY_MODE', 'lottery'],
  ])('refuses %s=%s at start-up, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
