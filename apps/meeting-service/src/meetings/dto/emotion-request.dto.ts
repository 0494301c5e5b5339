import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { IsPlatformId } from './fields';

/** `POST /meetings/:meetingId/emotions`: the `emotion_detection` payload without the meeting id. */
export class EmotionRequestDto {
  @ApiProperty({ example: 'frame-42', description: 'a reference to a video frame or audio sample', maxLength: 2000 })
  @IsString()
  @Length(1, 2000)
  sample!: string;

  @ApiPropertyOptional({ example: 'bob', description: 'a participant present in the meeting (404 otherwise)' })
  @IsOptional()
  @IsString()
  @IsPlatformId()
  participantId?: string;
}
