import { Injectable } from '@nestjs/common';
import { entryOf, type SlotBlockState, slotBlockDecider, slotBlockStreamId } from '@carepath/domain';
import { WritePath } from '@carepath/write-path';
import { careInstitutions } from '../auth/care-relationship';
import { FieldException, ResourceNotFoundException } from '../common/http-errors';
import { currentJourney } from '../journeys/journey.reader';

export type PublishedBlock = Extract<SlotBlockState, { status: 'published' }>;

export const slotBlockNotPublished = (blockId: string) =>
  new ResourceNotFoundException('SLOT_BLOCK_NOT_PUBLISHED', `No slot block ${blockId}`);

/**
 * Slot blocks and what a booking needs to know of a resident's care, read for the routes. A block is one clinic
 * session, at most 1,000 slots, so it is folded from its stream (docs/family-doctors.md, "Stream boundaries").
 *
 * CarePath's reading of "a resident their centre is seeing": the booking names an open journey of that resident
 * (the journey's pseudonymous patient id is the resident id, one id per person; docs/domain.md, "Privacy") in
 * which the booking centre takes part (auth/care-relationship.ts). Naming the journey keeps the check to one
 * stream read; finding every journey of a resident would need a read model.
 */
@Injectable()
export class SlotBlocks {
  constructor(private readonly writePath: WritePath) {}

  async current(blockId: string): Promise<{ state: PublishedBlock; revision: bigint }> {
    const { state, revision } = await this.writePath.current(slotBlockStreamId(blockId), slotBlockDecider);
    if (state.status !== 'published' || revision === 'no-stream') throw slotBlockNotPublished(blockId);
    return { state, revision };
  }

  /** Whether `centreId` is seeing the resident in the journey named (404 when there is no such journey). */
  async seenAtCentre(journeyId: string, residentId: string, centreId: string): Promise<boolean> {
    const { state } = await currentJourney(this.writePath, journeyId);
    return state.status === 'open' && state.patientId === residentId && careInstitutions(state).has(centreId);
  }

  /**
   * The booking an outpatient upward referral carries, as the RequestReferral command's fields ({} without one):
   * the booking exists in that block for this journey's patient and still holds its slot. 404 BOOKING_NOT_FOUND
   * otherwise, whoever's it is: another patient's booking is not one this referral can name.
   */
  async referralBooking(
    journeyId: string,
    referral: {
      readonly direction: string;
      readonly setting: string;
      readonly slotBlockId?: string;
      readonly slotBookingId?: string;
    },
  ): Promise<{ slotBlockId?: string; slotBookingId?: string }> {
    const { slotBlockId, slotBookingId } = referral;
    if (slotBlockId === undefined || slotBookingId === undefined) return {};
    if (referral.direction !== 'up' || referral.setting !== 'outpatient') {
      throw new FieldException('slotBookingId', 'is carried by an outpatient upward referral only');
    }
    const [{ state: journey }, { state: block }] = await Promise.all([
      currentJourney(this.writePath, journeyId),
      this.current(slotBlockId),
    ]);
    const booking = entryOf(block.bookings, slotBookingId);
    if (!booking || journey.status === 'not-opened' || booking.residentId !== journey.patientId) {
      throw new ResourceNotFoundException(
        'BOOKING_NOT_FOUND',
        `No booking ${slotBookingId} for this patient in slot block ${slotBlockId}`,
      );
    }
    if (booking.status === 'cancelled')
      throw new FieldException('slotBookingId', 'names a cancelled booking');
    return { slotBlockId, slotBookingId };
  }
}
