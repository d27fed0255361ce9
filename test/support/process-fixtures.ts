import { randomUUID } from 'node:crypto';
import { CENTRE_PARTY } from './fixtures';
import { writeAsProcess } from './process-writes';
import type { TestApp } from './test-app';

/**
 * What the care processes would write on a journey (docs/domain.md), written through the app's one write path as
 * the process manager writes it, for specs that run without the processes: CHC is the centre named.
 */

/** The downward transfer to CHC the process proposes after `surgeryId` at `hospital`; answers the proposal's id. */
export async function proposeTransferToCentre(
  t: TestApp,
  journeyId: string,
  hospital: string,
  occurredAt: string,
  surgeryId: string,
  proposalId: string = randomUUID(),
): Promise<string> {
  await writeAsProcess(t, journeyId, hospital, occurredAt, {
    type: 'ProposeDownwardTransfer',
    data: { proposalId, surgeryId, to: CENTRE_PARTY, basis: 'alliance-centre', signedDoctorId: null },
  });
  return proposalId;
}

/** The follow-up CHC owes by `dueBy` after the discharge from `admissionId`; answers the follow-up's id. */
export async function oweFollowUpAtCentre(
  t: TestApp,
  journeyId: string,
  institutionId: string,
  occurredAt: string,
  admission: { readonly admissionId: string; readonly dueBy: string },
  followUpId: string = randomUUID(),
): Promise<string> {
  await writeAsProcess(t, journeyId, institutionId, occurredAt, {
    type: 'OweFollowUp',
    data: {
      followUpId,
      admissionId: admission.admissionId,
      owedBy: CENTRE_PARTY,
      signedDoctorId: null,
      dueBy: admission.dueBy,
      basis: 'standard',
    },
  });
  return followUpId;
}
