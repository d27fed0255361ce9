import type { NotificationKind } from '@carepath/domain';

/*
 * Which institutions an event concerns, as notifications (docs/notifications.md, "Kinds and recipients"). Pure: the
 * facts an event does not carry itself (who asked for a referral, which hospital holds a slot block, which centre
 * booked a slot) come from `NotificationFacts`, which the projection answers from what earlier events told it.
 * Ids and codes only: a notification says what happened to which referral, never to whom.
 */

export type Recipient = { readonly institutionId: string } | { readonly allianceId: string };

/** What a notification is about: ids and a due time, null where they do not apply to its kind. */
export interface NotificationSubject {
  readonly journeyId: string | null;
  readonly referralId: string | null;
  readonly proposalId: string | null;
  readonly followUpId: string | null;
  readonly blockId: string | null;
  readonly bookingId: string | null;
  /** The deadline or due date the notification is about, when it has one. */
  readonly dueAt: string | null;
}

/** A notification before it is addressed to institutions and numbered. */
export interface NotificationDraft extends NotificationSubject {
  readonly kind: NotificationKind;
  readonly recipients: readonly Recipient[];
}

export interface ReferralParties {
  readonly journeyId: string;
  readonly referralId: string;
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
}

/** A fact an event establishes for later events of its stream. */
export type NotificationFact =
  | ({ readonly fact: 'referral' } & ReferralParties)
  | { readonly fact: 'block'; readonly blockId: string; readonly hospitalId: string }
  | {
      readonly fact: 'booking';
      readonly blockId: string;
      readonly bookingId: string;
      readonly centreId: string;
    };

export interface NotificationFacts {
  referral(journeyId: string, referralId: string): ReferralParties | null;
  blockHospital(blockId: string): string | null;
  bookingCentre(blockId: string, bookingId: string): string | null;
}

/** What the projection needs of a stored event. */
export interface NotifiableEvent {
  readonly type: string;
  readonly streamId: string;
  readonly data: unknown;
}

const JOURNEY_PREFIX = 'journey-';

const none: NotificationSubject = {
  journeyId: null,
  referralId: null,
  proposalId: null,
  followUpId: null,
  blockId: null,
  bookingId: null,
  dueAt: null,
};

type Data = Readonly<Record<string, unknown>>;
const str = (data: Data, field: string): string => {
  const value = data[field];
  if (typeof value !== 'string') throw new Error(`${field} is not a string`);
  return value;
};
const optional = (data: Data, field: string): string | null => {
  const value = data[field];
  return typeof value === 'string' ? value : null;
};
const institutionOf = (data: Data, field: string): string => str(data[field] as Data, 'institutionId');
const to = (...ids: string[]): Recipient[] => [...new Set(ids)].map((institutionId) => ({ institutionId }));

/** The notifications an event gives, and the facts it establishes for later ones. */
export function notificationsOf(
  event: NotifiableEvent,
  facts: NotificationFacts,
): { readonly drafts: readonly NotificationDraft[]; readonly learnt: readonly NotificationFact[] } {
  const d = event.data as Data;
  const journeyId = event.streamId.startsWith(JOURNEY_PREFIX)
    ? event.streamId.slice(JOURNEY_PREFIX.length)
    : null;
  const onReferral = (kind: NotificationKind, recipients: Recipient[], dueAt: string | null = null) => ({
    ...none,
    kind,
    recipients,
    journeyId,
    referralId: str(d, 'referralId'),
    dueAt,
  });
  /** A referral this journey asked for earlier; one the projection never saw (voided history) gives nothing. */
  const parties = () => (journeyId === null ? null : facts.referral(journeyId, str(d, 'referralId')));
  const nothing = { drafts: [], learnt: [] };

  switch (event.type) {
    case 'UpwardReferralRequested':
    case 'DownwardReferralRequested': {
      if (journeyId === null) return nothing;
      const referral: ReferralParties = {
        journeyId,
        referralId: str(d, 'referralId'),
        fromInstitutionId: institutionOf(d, 'from'),
        toInstitutionId: institutionOf(d, 'to'),
      };
      // A redirect's new referral reaches its receiver as the redirect it is (the referrer learns of it from the
      // rejection that made it).
      const kind = optional(d, 'redirectedFromReferralId') ? 'referral-redirected' : 'referral-requested';
      return {
        drafts: [onReferral(kind, to(referral.toInstitutionId), optional(d, 'deadline'))],
        learnt: [{ fact: 'referral', ...referral }],
      };
    }
    case 'ReferralAccepted': {
      const p = parties();
      return p ? { drafts: [onReferral('referral-accepted', to(p.fromInstitutionId))], learnt: [] } : nothing;
    }
    case 'ReferralRejected': {
      const p = parties();
      if (!p) return nothing;
      const redirected = optional(d, 'redirectedToInstitutionId') !== null;
      return {
        drafts: [
          onReferral(redirected ? 'referral-redirected' : 'referral-rejected', to(p.fromInstitutionId)),
        ],
        learnt: [],
      };
    }
    case 'ReferralExpired': {
      const p = parties();
      if (!p) return nothing;
      const recipients = to(p.fromInstitutionId, p.toInstitutionId);
      return { drafts: [onReferral('referral-expired', recipients, optional(d, 'deadline'))], learnt: [] };
    }
    case 'ReferralDueSoon': {
      const p = parties();
      if (!p) return nothing;
      return {
        drafts: [onReferral('referral-due-soon', to(p.toInstitutionId), optional(d, 'deadline'))],
        learnt: [],
      };
    }
    case 'ReferralEscalated':
      return {
        drafts: [onReferral('referral-escalated', [{ allianceId: str(d, 'allianceId') }])],
        learnt: [],
      };
    case 'DownwardTransferProposed':
      return {
        drafts: [
          {
            ...none,
            kind: 'transfer-proposed',
            recipients: to(institutionOf(d, 'to'), institutionOf(d, 'from')),
            journeyId,
            proposalId: str(d, 'proposalId'),
          },
        ],
        learnt: [],
      };
    case 'FollowUpOwed':
      return {
        drafts: [
          {
            ...none,
            kind: 'follow-up-owed',
            recipients: to(institutionOf(d, 'owedBy')),
            journeyId,
            followUpId: str(d, 'followUpId'),
            dueAt: optional(d, 'dueBy'),
          },
        ],
        learnt: [],
      };
    case 'SlotBlockPublished':
      return {
        drafts: [],
        learnt: [{ fact: 'block', blockId: str(d, 'blockId'), hospitalId: institutionOf(d, 'hospital') }],
      };
    case 'SlotBooked': {
      const blockId = str(d, 'blockId');
      const bookingId = str(d, 'bookingId');
      const centreId = str(d, 'centreId');
      const hospitalId = facts.blockHospital(blockId);
      return {
        drafts: [
          {
            ...none,
            kind: 'slot-booked',
            recipients: to(centreId, ...(hospitalId ? [hospitalId] : [])),
            blockId,
            bookingId,
          },
        ],
        learnt: [{ fact: 'booking', blockId, bookingId, centreId }],
      };
    }
    case 'SlotBookingCancelled': {
      const blockId = str(d, 'blockId');
      const bookingId = str(d, 'bookingId');
      const centreId = facts.bookingCentre(blockId, bookingId);
      const hospitalId = facts.blockHospital(blockId);
      const recipients = to(...[centreId, hospitalId].filter((id): id is string => id !== null));
      if (recipients.length === 0) return nothing;
      return {
        drafts: [{ ...none, kind: 'slot-booking-cancelled', recipients, blockId, bookingId }],
        learnt: [],
      };
    }
    default:
      return nothing;
  }
}
