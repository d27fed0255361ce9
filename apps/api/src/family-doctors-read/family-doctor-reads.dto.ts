import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { CodeId } from '../common/validation';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const dateMessage = { message: '$property must be a date YYYY-MM-DD' };

export class PanelQueryDto {
  @ApiPropertyOptional({
    description: 'The day the panel is read on (default: today, local)',
    example: '2026-03-01',
  })
  @IsOptional()
  @Matches(DATE, dateMessage)
  on?: string;
}

export class BookingsQueryDto {
  @ApiPropertyOptional({ description: 'First session date (default: today, local)', example: '2026-03-01' })
  @IsOptional()
  @Matches(DATE, dateMessage)
  from?: string;

  @ApiPropertyOptional({ description: 'Session date after the last (default: 30 days after `from`)' })
  @IsOptional()
  @Matches(DATE, dateMessage)
  to?: string;
}

export class AvailableSlotsQueryDto {
  @ApiPropertyOptional({ description: 'Session date (default: today, local)', example: '2026-03-10' })
  @IsOptional()
  @Matches(DATE, dateMessage)
  date?: string;

  @CodeId('Only this department', { optional: true, example: 'cardiology' }) department?: string;
  @CodeId('Only this hospital', { optional: true }) hospitalId?: string;
  @CodeId("Only hospitals of this alliance (the hospital's registration)", { optional: true })
  allianceId?: string;
}
