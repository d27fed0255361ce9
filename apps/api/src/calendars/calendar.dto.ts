import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Length, Matches } from 'class-validator';
import { OccurredAt, PLAIN_TEXT } from '../common/validation';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const dates = { each: true, message: '$property must be a list of dates YYYY-MM-DD' };

/** A year's arrangement as the State Council published it (docs/holidays.md). */
export class PublishCalendarYearDto {
  @ApiProperty({
    type: [String],
    description: 'Days off (the whole of each holiday, weekend days inside it may be listed)',
    example: ['2026-02-15', '2026-02-16', '2026-02-17'],
  })
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(DATE, dates)
  holidays!: string[];

  @ApiProperty({
    type: [String],
    description: 'Saturdays and Sundays worked by the arrangement (调休上班)',
    example: ['2026-02-14', '2026-02-28'],
  })
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(DATE, dates)
  workingWeekendDays!: string[];

  @ApiProperty({ example: '国务院办公厅关于2026年部分节假日安排的通知' })
  @IsString()
  @Length(1, 200)
  @Matches(PLAIN_TEXT, { message: '$property must be plain text' })
  source!: string;

  @OccurredAt('When the arrangement was recorded (defaults to now)', { optional: true })
  occurredAt?: string;
}

export class CalendarYearDto {
  @ApiProperty({ example: 2026 })
  year!: number;

  @ApiProperty({ type: [String], example: ['2026-02-15', '2026-02-16'] })
  holidays!: string[];

  @ApiProperty({ type: [String], example: ['2026-02-14'] })
  workingWeekendDays!: string[];

  @ApiProperty({ example: '国务院办公厅关于2026年部分节假日安排的通知' })
  source!: string;
}

/** A holiday calendar's covered years and their arrangements. */
export class CalendarDto {
  @ApiProperty({ example: 'CN' })
  calendarId!: string;

  @ApiProperty({
    description: 'Whether routine referral deadlines count this calendar (HOLIDAY_CALENDAR_ID)',
  })
  inUse!: boolean;

  @ApiProperty({ type: [Number], example: [2024, 2025, 2026] })
  yearsCovered!: number[];

  @ApiProperty({ type: [CalendarYearDto] })
  years!: CalendarYearDto[];

  @ApiProperty({ example: 4, description: 'The stream’s revision' })
  revision!: number;
}

/** What loading a year did: written, or nothing when the same arrangement was already recorded. */
export class CalendarYearWrittenDto {
  @ApiProperty({ example: 'CN' })
  calendarId!: string;

  @ApiProperty({ example: 2026 })
  year!: number;

  @ApiProperty({ description: 'The year was already recorded exactly so: nothing was written' })
  unchanged!: boolean;

  @ApiProperty({ example: 4 })
  revision!: number;

  @ApiProperty({ type: [String], format: 'uuid' })
  eventIds!: string[];

  @ApiPropertyOptional({ type: [Number], example: [2024, 2025, 2026] })
  yearsCovered?: number[];
}
