import { ApiProperty } from '@nestjs/swagger';

/** A contract as the decider folds it (ContractRecord: holders and key groups by date, end or expiry). */
const CONTRACT = { type: 'object', additionalProperties: true } as const;

/** `GET /family-doctors/residents/:residentId`: the resident's standing and contracts on a date. */
export class ResidentContractDto {
  @ApiProperty({ example: 'pt-7f3a9c21' })
  residentId!: string;

  @ApiProperty({ example: '2026-03-01', description: 'The calendar date answered for' })
  on!: string;

  @ApiProperty({ enum: ['none', 'pending', 'active', 'expiring', 'lapsed', 'ended'] })
  standing!: string;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'The contract in force that day: contractId, doctorId, centreId, keyGroups; null when none',
  })
  signed!: Record<string, unknown> | null;

  @ApiProperty({ ...CONTRACT, description: 'The latest contract, in force or not' })
  contract!: Record<string, unknown>;

  @ApiProperty({ type: 'array', items: CONTRACT, description: 'The contracts before it' })
  previous!: Record<string, unknown>[];

  @ApiProperty({ example: 2 })
  revision!: number;
}
