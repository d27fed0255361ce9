import { ApiProperty } from '@nestjs/swagger';

const OBJECTS = { type: 'array', items: { type: 'object', additionalProperties: true } } as const;

/** `GET /slot-blocks/:blockId`: the session, its releases, and what is free when asked. */
export class SlotBlockDto {
  @ApiProperty({ format: 'uuid' })
  blockId!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The hospital as published' })
  hospital!: Record<string, unknown>;

  @ApiProperty({ example: 'cardiology' })
  department!: string;

  @ApiProperty({ enum: ['chief', 'associate-chief', 'attending', 'resident'] })
  clinicianGrade!: string;

  @ApiProperty({ example: '2026-04-10' })
  date!: string;

  @ApiProperty({ example: '08:30' })
  startTime!: string;

  @ApiProperty({ format: 'date-time' })
  startsAt!: string;

  @ApiProperty({ example: 480 })
  utcOffsetMinutes!: number;

  @ApiProperty({ example: 20 })
  count!: number;

  @ApiProperty({ example: 10 })
  releasedCount!: number;

  @ApiProperty({
    ...OBJECTS,
    description: 'Each release with its window, reserve, priority end and cancel cutoff',
  })
  releases!: Record<string, unknown>[];

  @ApiProperty({ format: 'date-time', description: 'The care time availability is given for' })
  at!: string;

  @ApiProperty({
    ...OBJECTS,
    description: 'Per release: open, free, and of those held for priority residents',
  })
  availability!: Record<string, unknown>[];

  @ApiProperty({ example: 7, description: 'Slots held by bookings (cancelled ones are free again)' })
  bookedCount!: number;

  @ApiProperty({ ...OBJECTS, description: "Bookings: all to the hospital, a centre's own to a centre" })
  bookings!: Record<string, unknown>[];

  @ApiProperty({ example: 12 })
  revision!: number;
}
