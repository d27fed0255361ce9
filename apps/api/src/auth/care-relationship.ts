import type { JourneyState } from '@carepath/domain';
import type { Role } from '@carepath/runtime';
import { BREAK_GLASS_ROLES, rolesToAmend } from './access-policy';

/**
 * Institution scoping (issue 17): who takes part in a journey, and on what basis a reader may see it. Pure
 * functions of the journey's current state, so the unit spec and the matrix spec can state the rule exactly.
 */

/** Institutions in a care relationship with the journey: a visit, a stay, a referral from or to it (from the moment
 * it is requested), surgery or rehab there, or any fact it recorded (it answers for its own record). */
export function careInstitutions(state: JourneyState): ReadonlySet<string> {
  const found = new Set<string>();
  if (state.status === 'not-opened') return found;
  const add = (id: unknown) => {
    if (typeof id === 'string' && id !== '') found.add(id);
  };
  for (const visit of Object.values(state.visits)) add(visit.institution?.institutionId);
  for (const referral of Object.values(state.referrals)) {
    add(referral.from?.institutionId);
    add(referral.to?.institutionId);
  }
  for (const admission of Object.values(state.admissions)) add(admission.institutionId);
  for (const surgery of Object.values(state.surgeries ?? {})) add(surgery.institutionId);
  for (const session of Object.values(state.rehabSessions ?? {})) add(session.institutionId);
  for (const fact of state.facts ?? []) add(fact.recordedBy);
  return found;
}

export type ReadBasis = 'care-relationship' | 'audit' | 'break-glass';

export interface Reader {
  readonly role: Role;
  readonly institutionId: string;
  readonly reason: string;
  /** Free-text justification of an emergency read (X-Access-Justification). */
  readonly justification: string | null;
}

/**
 * Why this reader may see this journey, or null (403). Auditors read any journey with a reason; staff of an
 * institution that takes part read it; anyone else allowed to read records may break the glass with the reason
 * `emergency` and a justification, and that read is flagged for review in the access log.
 */
export function readBasis(reader: Reader, participants: ReadonlySet<string>): ReadBasis | null {
  if (reader.role === 'auditor') return 'audit';
  if (participants.has(reader.institutionId)) return 'care-relationship';
  if (reader.reason === 'emergency' && reader.justification && BREAK_GLASS_ROLES.includes(reader.role)) {
    return 'break-glass';
  }
  return null;
}

/** Commands that bring their own institution into a journey: a patient walks in, is admitted, or has rehab there. */
const JOINING_COMMANDS: ReadonlySet<string> = new Set(['RecordVisit', 'AdmitPatient', 'RecordRehabSession']);

/**
 * An expired referral escalated to an alliance is put before the coordinators of its institutions, who need not take
 * part in the journey: their acknowledgement goes to the decider, which checks the acting institution's alliance
 * against the escalation's (docs/domain.md, "Acknowledging an outcome").
 */
const escalated = (state: JourneyState): boolean =>
  state.status !== 'not-opened' &&
  Object.values(state.referrals).some((referral) => referral.escalatedToAllianceId !== null);

export interface Writer {
  readonly role: Role;
  readonly institutionId: string;
}

/**
 * Why this write is refused before the decider sees it, or null. A journey's record is written by the institutions
 * that take part in it; another institution joins by recording its own visit, admission or rehab session (the
 * decider checks that the institution named is the acting one). A correction or void needs a role that may record
 * the fact it amends.
 */
export function writeRefusal(
  writer: Writer,
  kind: string,
  state: JourneyState,
  amendedEventType?: string,
): string | null {
  if (state.status === 'not-opened' || JOINING_COMMANDS.has(kind)) return null;
  if (kind === 'AcknowledgeReferral' && writer.role === 'coordinator' && escalated(state)) return null;
  if (!careInstitutions(state).has(writer.institutionId)) {
    return `Institution ${writer.institutionId} takes no part in this journey: it may record its own visit, admission or rehab session, nothing else`;
  }
  if (amendedEventType !== undefined && !rolesToAmend(amendedEventType).includes(writer.role)) {
    return `The role ${writer.role} may not amend a ${amendedEventType}`;
  }
  return null;
}
