import type { InstitutionIntent } from '../../api/src/institutions/execute-institution-command.handler';
import type { JourneyIntent } from '../../api/src/journeys/execute-journey-command.handler';
import type { CommandSink, JourneyReceipt } from './command-sink';
import type { Actor } from './simulation.script';

/**
 * Drives a running CarePath server over HTTP (`npm run simulate -- --url http://host:port`): the routes of
 * journeys.controller.ts and institutions.controller.ts, as a `system` service account (README, "Authentication")
 * whose bearer token is given, naming in X-Institution-Id the institution each command is recorded for.
 */
export class HttpCommandSink implements CommandSink {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  async institution(actor: Actor, intent: InstitutionIntent): Promise<void> {
    // A ward is opened or resized for its own institution (issue 17): the service account acts for that one.
    const actingFor =
      intent.kind === 'RegisterInstitution' ? actor : { ...actor, institutionId: intent.institutionId };
    await this.post(actingFor, ...institutionRoute(intent));
  }

  async journey(journeyId: string | null, actor: Actor, intent: JourneyIntent): Promise<JourneyReceipt> {
    const answer = (await this.post(actor, ...journeyRoute(journeyId, intent))) as {
      journeyId: string;
      events: { id: string; type: string }[];
    } & Record<string, unknown>;
    // Besides the journey, revision and events, a write answers with the ids it minted (referralId, ...).
    const created: Record<string, string> = {};
    for (const [field, value] of Object.entries(answer)) {
      if (field !== 'journeyId' && typeof value === 'string') created[field] = value;
    }
    return { journeyId: answer.journeyId, created, events: answer.events };
  }

  private async post(actor: Actor, path: string, body: object): Promise<unknown> {
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${this.token}`,
        'X-Institution-Id': actor.institutionId,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as unknown;
  }
}

function institutionRoute(intent: InstitutionIntent): [string, object] {
  switch (intent.kind) {
    case 'RegisterInstitution':
      return ['/institutions', intent.body];
    case 'OpenWard':
      return [`/institutions/${intent.institutionId}/wards`, intent.body];
    case 'ChangeWardBedCount':
      return [`/institutions/${intent.institutionId}/wards/${intent.wardId}/bed-count`, intent.body];
    case 'MarkInstitutionEventEnteredInError':
      return [`/institutions/${intent.institutionId}/events/${intent.eventId}/entered-in-error`, intent.body];
  }
}

function journeyRoute(journeyId: string | null, intent: JourneyIntent): [string, object] {
  if (intent.kind === 'OpenJourney') return ['/journeys', intent.body];
  const j = `/journeys/${journeyId}`;
  switch (intent.kind) {
    case 'RecordVisit':
      return [`${j}/visits`, intent.body];
    case 'RequestReferral':
      return [`${j}/referrals`, intent.body];
    case 'ReceiveReferral':
      return [`${j}/referrals/${intent.referralId}/receive`, { occurredAt: intent.occurredAt }];
    case 'AcceptReferral':
      return [`${j}/referrals/${intent.referralId}/accept`, { occurredAt: intent.occurredAt }];
    case 'CompleteReferral':
      return [`${j}/referrals/${intent.referralId}/complete`, { occurredAt: intent.occurredAt }];
    case 'ExpireReferral':
      return [`${j}/referrals/${intent.referralId}/expire`, { occurredAt: intent.occurredAt }];
    case 'RejectReferral':
      return [`${j}/referrals/${intent.referralId}/reject`, intent.body];
    case 'CancelReferral':
      return [`${j}/referrals/${intent.referralId}/cancel`, intent.body];
    case 'AdmitPatient':
      return [`${j}/admissions`, intent.body];
    case 'StartLeave':
      return [`${j}/admissions/${intent.admissionId}/leave`, intent.body];
    case 'EndLeave':
      return [`${j}/admissions/${intent.admissionId}/return`, { occurredAt: intent.occurredAt }];
    case 'MoveWard':
      return [`${j}/admissions/${intent.admissionId}/move`, intent.body];
    case 'DischargePatient':
      return [`${j}/admissions/${intent.admissionId}/discharge`, intent.body];
    case 'RecordSurgery':
      return [`${j}/surgeries`, intent.body];
    case 'RecordRehabSession':
      return [`${j}/rehab-sessions`, intent.body];
    case 'CloseJourney':
      return [`${j}/close`, { occurredAt: intent.occurredAt }];
    case 'MarkEnteredInError':
      return [`${j}/events/${intent.eventId}/entered-in-error`, intent.body];
    case 'CorrectEvent':
      return [`${j}/events/${intent.eventId}/corrections`, intent.body];
  }
}
