import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import {
  CONTRACT_END_REASONS,
  type ContractEndReason,
  KEY_GROUPS,
  MAX_CONTRACT_TERM_MONTHS,
} from '@carepath/domain';
import { CareTimeDto } from '../journeys/journey.dto';
import { CodeId, Pattern, PseudonymousId, REGION_CODE } from '../common/validation';

/** A calendar date (docs/family-doctors.md, "Contracts"); whether the day exists is the decider's check. */
export const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

const oneOf = (values: readonly string[]) => ({ message: `$property must be one of: ${values.join(', ')}` });

/** Key groups as codes only (docs/family-doctors.md, "Key groups"); whether they fit one person is the decider's. */
export const KeyGroups = () =>
  applyDecorators(
    ApiProperty({ enum: KEY_GROUPS, isArray: true, example: ['hypertension', 'age-60-plus'] }),
    IsArray({ message: '$property must be a list of key-group codes' }),
    ArrayMaxSize(KEY_GROUPS.length, { message: '$property lists too many key groups' }),
    IsIn(KEY_GROUPS, { each: true, message: `$property must hold codes of: ${KEY_GROUPS.join(', ')}` }),
  );

/** Contracts are usually signed for a year (docs/family-doctors.md, "Contracts"). */
export const TermMonths = () =>
  applyDecorators(
    ApiPropertyOptional({ default: 12, minimum: 1, maximum: MAX_CONTRACT_TERM_MONTHS }),
    IsOptional(),
    IsInt({ message: '$property must be a whole number of months' }),
    Min(1, { message: '$property must be >= 1' }),
    Max(MAX_CONTRACT_TERM_MONTHS, { message: `$property must be <= ${MAX_CONTRACT_TERM_MONTHS}` }),
  );

export class SignContractDto extends CareTimeDto {
  @PseudonymousId()
  residentId!: string;

  @Pattern(REGION_CODE, 'residence region (GB/T 2260 district or county code)', '310112')
  residenceRegion!: string;

  @CodeId('The family doctor (a family doctor signing: themselves, the default)', {
    optional: true,
    example: 'fd-wang',
  })
  doctorId?: string;

  @CodeId('The community centre signing (the acting institution)', { example: 'CHC-MH-01' })
  centreId!: string;

  @Pattern(CALENDAR_DATE, 'first day covered (YYYY-MM-DD)', '2026-03-01')
  startDate!: string;

  @TermMonths()
  termMonths?: number;

  @KeyGroups()
  keyGroups!: string[];
}

/** Every change names the contract it changes: a retry after another centre signed anew is refused, not moved. */
export class ContractChangeDto extends CareTimeDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: '$property must be a UUID' })
  contractId!: string;
}

export class RenewContractDto extends ContractChangeDto {
  @TermMonths()
  termMonths?: number;
}

export class TransferContractDto extends ContractChangeDto {
  @CodeId('The new family doctor', { example: 'fd-li' })
  toDoctorId!: string;

  @CodeId('The new doctor’s community centre', { example: 'CHC-MH-02' })
  toCentreId!: string;
}

export class ChangeKeyGroupsDto extends ContractChangeDto {
  @KeyGroups()
  keyGroups!: string[];
}

export class EndContractDto extends ContractChangeDto {
  @ApiProperty({ enum: CONTRACT_END_REASONS })
  @IsIn(CONTRACT_END_REASONS, oneOf(CONTRACT_END_REASONS))
  reason!: ContractEndReason;
}

export class ResidentContractQueryDto {
  @IsOptional()
  @Pattern(CALENDAR_DATE, 'the calendar date to answer for (default: today)', '2026-03-01', {
    required: false,
  })
  on?: string;
}
