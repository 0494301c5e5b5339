import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsPlatformId, IsTimeWithinAYear, Trimmed } from './fields';

/** Longest meeting and longest reminder lead (24 h). */
export const MAX_MEETING_DURATION_MS = 24 * 3_600_000;

/** `POST /meetings`. */
export class CreateMeetingDto {
  @ApiProperty({ example: 'Sprint review', minLength: 1, maxLength: 200 })
  @Trimmed()
  @IsString()
  @Length(1, 200)
  title!: string;

  @ApiPropertyOptional({ example: 'alice', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'default "anonymous"' })
  @IsOptional()
  @IsString()
  @IsPlatformId()
  hostId?: string;

  @ApiPropertyOptional({
    example: '2026-12-01T09:00:00.000Z',
    format: 'date-time',
    description: 'scheduled start (ISO 8601, at most a year ahead; default now): a meeting.reminder fires reminderBeforeMs before it',
  })
  @IsOptional()
  @IsTimeWithinAYear()
  startsAt?: string;

  @ApiPropertyOptional({
    example: 3_600_000,
    minimum: 1,
    maximum: MAX_MEETING_DURATION_MS,
    description: 'the meeting ends by itself this long after its start, or after its creation when startsAt is past (default MEETING_MAX_DURATION_MS)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_MEETING_DURATION_MS)
  maxDurationMs?: number;

  @ApiPropertyOptional({
    example: 300_000,
    minimum: 0,
    maximum: MAX_MEETING_DURATION_MS,
    description: 'lead of the reminder before startsAt (default MEETING_REMINDER_BEFORE_MS)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MEETING_DURATION_MS)
  reminderBeforeMs?: number;
}
