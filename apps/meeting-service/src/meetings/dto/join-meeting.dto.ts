import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { IsPlatformId, Trimmed } from './fields';

/** `POST /meetings/:meetingId/participants`. */
export class JoinMeetingDto {
  @ApiProperty({ example: 'Bob', minLength: 1, maxLength: 200 })
  @Trimmed()
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({
    example: 'bob',
    pattern: '^[A-Za-z0-9_.-]{1,64}$',
    description: 'default: a new id; joining again with the same id answers the existing entry',
  })
  @IsOptional()
  @IsString()
  @IsPlatformId()
  participantId?: string;
}
