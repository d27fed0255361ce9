import { REFERRAL_PRIORITIES } from '@carepath/domain';
import { inOneSnapshot, type SqlReader } from '../runtime/sql-reader';
import {
  type CurrentStayRow,
  currentStaysTable,
  type FollowUpRow,
  followUpsTable,
  type OpenReferralRow,
  openReferralsTable,
  type TransferProposalRow,
  transferProposalsTable,
  upstairsTable,
} from './worklist.projection';
import type { UpstairsRow } from './with-us-upstairs.model';
import { decodeCursor, instant, page, type SortKey, WorklistQueryError } from './worklist-page';

export interface WorklistReferral extends Omit<OpenReferralRow, 'updatedAt'> {
  readonly overdue: boolean;
}

export type WorklistStay = Omit<CurrentStayRow, 'institutionId' | 'status'>;

export interface WorklistProposal extends TransferProposalRow {
  /** incoming: proposed to this centre (it expects the hospital's decision); outgoing: this hospital decides. */
  readonly side: 'incoming' | 'outgoing';
}

export interface WorklistFollowUp extends FollowUpRow {
  readonly overdue: boolean;
}

export type WorklistUpstairs = Omit<UpstairsRow, 'institutionId'>;

/** The sections of a worklist, in the order of the answer (docs/worklists.md). */
export const WORKLIST_SECTIONS = [
  'incomingReferrals',
  'outgoingReferrals',
  'inpatients',
  'onLeave',
  'expectedDownwardTransfers',
  'proposedDownwardTransfers',
  'withUsUpstairs',
  'followUpsDue',
] as const;
export type WorklistSection = (typeof WORKLIST_SECTIONS)[number];

export const WORKLIST_STATUSES = ['requested', 'received', 'accepted'] as const;
export const WORKLIST_DIRECTIONS = ['incoming', 'outgoing'] as const;

export interface WorklistFilter {
  readonly department?: string | undefined;
  readonly priority?: string | undefined;
  readonly status?: string | undefined;
  readonly overdue?: boolean | undefined;
  readonly direction?: 'incoming' | 'outgoing' | undefined;
  /** Only this section. */
  readonly section?: WorklistSection | undefined;
  /** At most this many rows per section; each section served says where its next page starts. */
  readonly limit?: number | undefined;
  /** A `next` of an earlier answer: continues that section (and serves only it). */
  readonly cursor?: string | undefined;
}

export interface Worklist {
  readonly institutionId: string;
  /** The instant `overdue` was judged at (the server's clock). */
  readonly at: string;
  /** Sent to this institution, awaiting its decision, most urgent first. */
  readonly incomingReferrals?: WorklistReferral[];
  /** Sent by this institution, awaiting the other side. */
  readonly outgoingReferrals?: WorklistReferral[];
  readonly inpatients?: WorklistStay[];
  /** Away from a bed here (sequential ward), usually upstairs for surgery. */
  readonly onLeave?: WorklistStay[];
  /** Downward transfers accepted by this institution, the patient not yet arrived. */
  readonly expectedDownwardTransfers?: WorklistReferral[];
  /** Open proposals to send a patient down, from this hospital or to this centre. */
  readonly proposedDownwardTransfers?: WorklistProposal[];
  /** Patients this institution referred up, accepted there, not yet back down. */
  readonly withUsUpstairs?: WorklistUpstairs[];
  /** Follow-ups this centre owes after a discharge, the most pressing first. */
  readonly followUpsDue?: WorklistFollowUp[];
  /** With `limit`: each served section's next page (a cursor), or null at its end. */
  readonly next?: Partial<Record<WorklistSection, string | null>>;
}

type Filterable = 'department' | 'priority' | 'status' | 'overdue';

/** Which filters each section's rows carry, and which direction it faces ('both': by row). */
const SECTION_RULES: Readonly<
  Record<
    WorklistSection,
    { filters: readonly Filterable[]; direction: 'incoming' | 'outgoing' | 'both' | null }
  >
> = {
  incomingReferrals: { filters: ['department', 'priority', 'status', 'overdue'], direction: 'incoming' },
  outgoingReferrals: { filters: ['department', 'priority', 'status', 'overdue'], direction: 'outgoing' },
  inpatients: { filters: [], direction: null },
  onLeave: { filters: [], direction: null },
  expectedDownwardTransfers: {
    filters: ['department', 'priority', 'status', 'overdue'],
    direction: 'incoming',
  },
  proposedDownwardTransfers: { filters: [], direction: 'both' },
  withUsUpstairs: { filters: ['department', 'priority'], direction: 'outgoing' },
  followUpsDue: { filters: ['overdue'], direction: null },
};

/**
 * Which sections an answer serves: a filter applies to the sections whose rows carry its field, and a section is
 * served only when every filter given applies to it (a department filter leaves out the beds, which have wards,
 * not departments); `section` or a cursor narrows to one.
 */
export function servedSections(filter: WorklistFilter, cursorSection?: string): WorklistSection[] {
  const given = (['department', 'priority', 'status', 'overdue'] as const).filter(
    (f) => filter[f] !== undefined,
  );
  return WORKLIST_SECTIONS.filter((section) => {
    const rule = SECTION_RULES[section];
    if (filter.section !== undefined && filter.section !== section) return false;
    if (cursorSection !== undefined && cursorSection !== section) return false;
    if (!given.every((f) => rule.filters.includes(f))) return false;
    if (filter.direction !== undefined && rule.direction !== 'both' && rule.direction !== filter.direction)
      return false;
    return true;
  });
}

/** green-channel (绿色通道) first, then urgent, then routine. */
export const priorityRank = (priority: string): number => {
  const rank = ['green-channel', 'urgent', 'routine'].indexOf(priority);
  return rank < 0 ? REFERRAL_PRIORITIES.length : rank;
};

const referralKey = (r: WorklistReferral): SortKey => [
  priorityRank(r.priority),
  instant(r.deadline),
  r.referralId,
];

const referral =
  (now: number) =>
  (stored: unknown): WorklistReferral => {
    const { updatedAt: _updatedAt, ...r } = openReferralsTable.read(stored);
    return {
      ...r,
      overdue: (r.status === 'requested' || r.status === 'received') && Date.parse(r.deadline) < now,
    };
  };

const stay = (stored: unknown): WorklistStay => {
  const { institutionId: _institutionId, status: _status, ...s } = currentStaysTable.read(stored);
  return s;
};

/**
 * `now` decides the overdue flags; it comes from the caller's clock, not from the read model. `openBeds` gives each
 * ward's open beds now: who is on an extra bed (加床) is derived from the census now, not frozen when the admission
 * was recorded (a late entry or a discharge changes it; docs/care-time.md, "Derived facts follow care time").
 * Without a filter the answer is every section whole, as before issue 20.
 */
export async function queryWorklist(
  reader: SqlReader,
  institutionId: string,
  now: number,
  openBeds: (wardId: string) => number | undefined = () => undefined,
  filter: WorklistFilter = {},
): Promise<Worklist> {
  const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor, WORKLIST_SECTIONS);
  if (cursor && filter.section !== undefined && cursor.section !== filter.section)
    throw new WorklistQueryError('cursor', `continues ${cursor.section}, not section ${filter.section}`);
  const sections = servedSections(filter, cursor?.section);
  const after = (section: WorklistSection) => (cursor?.section === section ? cursor.after : undefined);
  const toReferral = referral(now);
  const keep = (r: WorklistReferral) =>
    (filter.department === undefined || r.department === filter.department) &&
    (filter.priority === undefined || r.priority === filter.priority) &&
    (filter.status === undefined || r.status === filter.status) &&
    (filter.overdue === undefined || r.overdue === filter.overdue);
  const params = { institutionId };
  type Section = { rows: unknown[]; key: (row: never) => SortKey };
  /** Each section's reads on `reader`. */
  const loaders = (reader: SqlReader): Record<WorklistSection, () => Promise<Section>> => {
    const refs = async (sql: string) => (await reader.all(sql, params)).map(toReferral).filter(keep);
    // By admission within an instant, so that a ward's extra beds and its pages are the same on every database.
    const stays = async (status: string) =>
      (
        await reader.all(
          'SELECT * FROM current_stays WHERE institution_id = @institutionId AND status = @status ORDER BY admission_id',
          { institutionId, status },
        )
      ).map(stay);

    return {
      incomingReferrals: async () => ({
        rows: await refs(
          "SELECT * FROM open_referrals WHERE to_institution_id = @institutionId AND status IN ('requested', 'received')",
        ),
        key: referralKey,
      }),
      outgoingReferrals: async () => ({
        rows: await refs(
          "SELECT * FROM open_referrals WHERE from_institution_id = @institutionId AND status IN ('requested', 'received')",
        ),
        key: referralKey,
      }),
      // Extra beds are judged over the whole ward before a page is cut from it.
      inpatients: async () => ({
        rows: onExtraBeds(
          (await stays('in-bed')).sort((a, b) => instant(a.admittedAt) - instant(b.admittedAt)),
          openBeds,
        ),
        key: (s: WorklistStay) => [instant(s.admittedAt), s.admissionId],
      }),
      onLeave: async () => ({
        rows: await stays('on-leave'),
        key: (s: WorklistStay) => [instant(s.leaveStartedAt), s.admissionId],
      }),
      expectedDownwardTransfers: async () => ({
        rows: await refs(
          "SELECT * FROM open_referrals WHERE to_institution_id = @institutionId AND direction = 'down' AND status = 'accepted'",
        ),
        key: referralKey,
      }),
      proposedDownwardTransfers: async () => ({
        rows: (
          await reader.all(
            'SELECT * FROM transfer_proposals WHERE from_institution_id = @institutionId OR to_institution_id = @institutionId',
            params,
          )
        )
          .map((row): WorklistProposal => {
            const p = transferProposalsTable.read(row);
            return { ...p, side: p.fromInstitutionId === institutionId ? 'outgoing' : 'incoming' };
          })
          .filter((p) => filter.direction === undefined || p.side === filter.direction),
        key: (p: WorklistProposal) => [instant(p.proposedAt), p.proposalId],
      }),
      withUsUpstairs: async () => ({
        rows: (
          await reader.all('SELECT * FROM with_us_upstairs WHERE institution_id = @institutionId', params)
        )
          .map((row): WorklistUpstairs => {
            const { institutionId: _institutionId, ...u } = upstairsTable.read(row);
            return u;
          })
          .filter(
            (u) =>
              (filter.department === undefined || u.department === filter.department) &&
              (filter.priority === undefined || u.priority === filter.priority),
          ),
        key: (u: WorklistUpstairs) => [priorityRank(u.priority), instant(u.acceptedAt), u.journeyId],
      }),
      followUpsDue: async () => ({
        rows: (
          await reader.all('SELECT * FROM follow_ups WHERE owed_by_institution_id = @institutionId', params)
        )
          .map((row): WorklistFollowUp => {
            const f = followUpsTable.read(row);
            return { ...f, overdue: Date.parse(f.dueBy) < now };
          })
          .filter((f) => filter.overdue === undefined || f.overdue === filter.overdue),
        key: (f: WorklistFollowUp) => [instant(f.dueBy), f.followUpId],
      }),
    };
  };

  const read = (on: SqlReader) => {
    const load = loaders(on);
    return Promise.all(sections.map((section) => load[section]()));
  };
  // Every section asked for at once, from one snapshot: no section sees a commit another one does not.
  const loaded = await (sections.length > 1 ? inOneSnapshot(reader, read) : read(reader));
  const answer: Record<string, unknown> = { institutionId, at: new Date(now).toISOString() };
  const next: Partial<Record<WorklistSection, string | null>> = {};
  sections.forEach((section, i) => {
    const { rows, key } = loaded[i]!;
    const served = page(section, rows, key as (row: unknown) => SortKey, after(section), filter.limit);
    answer[section] = served.rows;
    next[section] = served.next;
  });
  if (filter.limit !== undefined) answer.next = next;
  return answer as unknown as Worklist;
}

/**
 * In each ward, the patients beyond its open beds are on extra beds: the last admitted, since a ward fills its
 * open beds first. Without a bed count for the ward, the flag recorded at admission stands.
 */
function onExtraBeds(
  inpatients: WorklistStay[],
  openBeds: (wardId: string) => number | undefined,
): WorklistStay[] {
  const seen = new Map<string, number>();
  return inpatients.map((s) => {
    const open = openBeds(s.wardId);
    const rank = (seen.get(s.wardId) ?? 0) + 1;
    seen.set(s.wardId, rank);
    return open === undefined ? s : { ...s, extraBed: rank > open };
  });
}
