import { RECORDING_FORMATS, RENDITION_RESOLUTIONS } from '@meeting/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

/** `POST /recordings/:recordingId/transcodes`: the `transcode` payload without the recording id. */
export class TranscodeRequestDto {
  @ApiProperty({ enum: RECORDING_FORMATS, example: 'webm' })
  @IsIn(RECORDING_FORMATS, { message: `format must be one of ${RECORDING_FORMATS.join(', ')}` })
  format!: (typeof RECORDING_FORMATS)[number];

  @ApiPropertyOptional({ enum: RENDITION_RESOLUTIONS, example: '720p', description: 'default 720p' })
  @IsOptional()
  @IsIn(RENDITION_RESOLUTIONS, { message: `resolution must be one of ${RENDITION_RESOLUTIONS.join(', ')}` })
  resolution?: (typeof RENDITION_RESOLUTIONS)[number];
}
