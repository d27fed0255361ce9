import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import {
  familyDoctorContractDecider,
  type FamilyDoctorContractState,
  familyDoctorContractStreamId,
  type SignedContractReference,
  signedContractOn,
} from '@carepath/domain';
import { WritePath } from '@carepath/write-path';
import { ResourceNotFoundException } from '../common/http-errors';

/** The pseudonymous id's form (common/validation.ts, PseudonymousId), for a resident named in the path. */
const RESIDENT_ID = /^[A-Za-z0-9_-]{8,64}$/;

export const residentId = (): PipeTransform<string, string> => ({
  transform: (value: string) => {
    if (!RESIDENT_ID.test(value)) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: ['residentId must be 8-64 letters, digits, _ or -'],
      });
    }
    return value;
  },
});

export const contractNotFound = (residentId: string) =>
  new ResourceNotFoundException('CONTRACT_NOT_FOUND', `Resident ${residentId} has never signed a contract`);

/**
 * A resident's contract stream, folded now through the write path's cache of recent folds: the stream is a
 * handful of events a year, so a read for one resident (their doctor, a booking's contract) is a load, not a read
 * model (docs/family-doctors.md, "Stream boundaries"). Panels and coverage span every resident: read models.
 */
@Injectable()
export class ResidentContracts {
  constructor(private readonly writePath: WritePath) {}

  async current(
    residentId: string,
  ): Promise<{ state: FamilyDoctorContractState; revision: bigint | 'no-stream' }> {
    const { state, revision } = await this.writePath.current(
      familyDoctorContractStreamId(residentId),
      familyDoctorContractDecider,
    );
    return { state, revision };
  }

  /** The contract in force on `date` (a booking's care date), or null: the reference data BookSlot takes. */
  async signedOn(residentId: string, date: string): Promise<SignedContractReference | null> {
    return signedContractOn((await this.current(residentId)).state, date);
  }
}
