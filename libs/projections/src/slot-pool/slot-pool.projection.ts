import { SLOT_BLOCK_EVENT_TYPES, slotBlockStreamId } from '@carepath/domain';
import {
  evolveSlotBlockView,
  initialSlotBlockView,
  type SlotBookingRow,
  slotBlockRows,
  type SlotReleaseRow,
} from '../model/slot-pool.model';
import { flag, integer, nullable, readModelTable, text, textOf } from '../runtime/read-model-table';
import { streamKind, streamProjection, streamTable } from '../runtime/stream-projection';
import { registeredInstitutions } from '../family-doctor/family-doctor.projection';
import { institutionsTable } from '../ward-occupancy/ward-occupancy.projection';

export const slotReleasesTable = readModelTable<SlotReleaseRow>(
  'slot_releases',
  {
    releaseId: text,
    blockId: text,
    hospitalId: text,
    department: text,
    clinicianGrade: text,
    date: text,
    startTime: text,
    startsAt: text,
    count: integer,
    reservedCount: integer,
    booked: integer,
    priorityBooked: integer,
    opensAtMs: integer,
    priorityUntilMs: integer,
    closesAtMs: integer,
  },
  {
    primaryKey: ['blockId', 'releaseId'],
    // The booking screen asks for a department on a date, then narrows by hospital or alliance.
    indexes: { slot_releases_by_department: ['department', 'date', 'hospitalId'] },
  },
);

export const slotBookingsTable = readModelTable<SlotBookingRow>(
  'slot_bookings',
  {
    bookingId: text,
    blockId: text,
    releaseId: text,
    hospitalId: text,
    department: text,
    clinicianGrade: text,
    date: text,
    startsAt: text,
    residentId: text,
    doctorId: text,
    centreId: text,
    contractId: nullable(text),
    signedDoctorId: nullable(text),
    priority: flag,
    keyGroups: text,
    status: textOf<SlotBookingRow['status']>(),
    bookedAt: text,
    updatedAt: text,
  },
  {
    primaryKey: ['blockId', 'bookingId'],
    indexes: {
      slot_bookings_by_doctor: ['doctorId', 'date'],
      slot_bookings_by_hospital: ['hospitalId', 'date'],
      slot_bookings_by_date: ['date'],
    },
  },
);

/**
 * Specialist slots released to family doctors: what each release offers (the booking screen), each booking (a
 * doctor's list, slot use), and the hospitals' alliances from their registrations (docs/family-doctors.md,
 * "Specialist slots"; docs/analytics.md, "Slot use").
 */
export const slotPoolProjection = streamProjection({
  name: 'slot-pool',
  version: 1,
  kinds: [
    streamKind({
      prefix: slotBlockStreamId(''),
      initialState: initialSlotBlockView,
      evolve: evolveSlotBlockView,
      eventTypes: SLOT_BLOCK_EVENT_TYPES,
      tables: [streamTable(slotReleasesTable, 'blockId'), streamTable(slotBookingsTable, 'blockId')],
      derive: (view) => slotBlockRows(view),
    }),
  ],
  referenceTables: [institutionsTable],
  institutions: registeredInstitutions,
});
