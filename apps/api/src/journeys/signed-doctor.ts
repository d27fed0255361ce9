import {
  careDateOf,
  familyDoctorContractDecider,
  familyDoctorContractStreamId,
  signedContractOn,
} from '@carepath/domain';
import type { WritePath } from '@carepath/write-path';
import { currentJourney } from './journey.reader';

/**
 * The family doctor a patient coming down is signed with on the day, if any: the gatekeeper they return to
 * (docs/family-doctors.md). The journey's patient id is the resident's pseudonymous id. Every downward referral
 * asks it, whether requested directly or as an accepted transfer proposal.
 */
export async function signedDoctorOn(
  writePath: WritePath,
  journeyId: string,
  occurredAt: string,
): Promise<{ signedDoctor?: { doctorId: string; centreId: string } }> {
  const { state: journey } = await currentJourney(writePath, journeyId);
  if (journey.status === 'not-opened') return {};
  const { state } = await writePath.current(
    familyDoctorContractStreamId(journey.patientId),
    familyDoctorContractDecider,
  );
  const contract = signedContractOn(state, careDateOf(occurredAt));
  return contract ? { signedDoctor: { doctorId: contract.doctorId, centreId: contract.centreId } } : {};
}
