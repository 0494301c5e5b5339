import { MAX_AUDIO_DURATION_MS } from '@meeting/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsPlatformId } from './fields';

/** `POST /meetings/:meetingId/transcripts`: the `speech_recognition` payload without the meeting id. */
export class TranscriptRequestDto {
  @ApiProperty({
    example: 'text:let us ship it',
    description: 'a reference to the audio; `text:<words>` makes the simulated recogniser return those words',
    maxLength: 2000,
  })
  @IsString()
  @Length(1, 2000)
  audio!: string;

  @ApiPropertyOptional({ example: 'bob', description: 'a participant present in the meeting (404 otherwise)' })
  @IsOptional()
  @IsString()
  @IsPlatformId()
  participantId?: string;

  @ApiPropertyOptional({ example: 4000, minimum: 1, maximum: MAX_AUDIO_DURATION_MS })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_AUDIO_DURATION_MS)
  durationMs?: number;
}
