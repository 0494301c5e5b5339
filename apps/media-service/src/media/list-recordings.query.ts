import { ID_PATTERN } from '@meeting/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

/** `GET /recordings` query: only one meeting's recordings (an id, given once), or all of them. */
export class ListRecordingsQuery {
  @ApiPropertyOptional({ example: 'm-46e15b3b', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: "only this meeting's recordings" })
  @IsOptional()
  @IsString({ message: 'meetingId must be given once, as a string' })
  @Matches(ID_PATTERN, { message: 'meetingId must be 1..64 characters from [A-Za-z0-9_.-]' })
  meetingId?: string;
}
