import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { IsPlatformId, Trimmed } from './fields';

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
}
