import { BadRequestException, Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { RECORDING_REPOSITORY, RecordingRepository } from './store/recording-repository';

const FORMATS = ['mp4', 'webm', 'mp3'];
const RESOLUTIONS = ['480p', '720p', '1080p'];

/** REST of the media-service: recordings, transcode requests (through the dispatcher, to this service's queue) and their status. */
@Controller()
export class MediaController {
  constructor(
    @Inject(RECORDING_REPOSITORY) private readonly library: RecordingRepository,
    private readonly queues: QueueManager,
  ) {}

  @Get('recordings')
  list(@Query('meetingId') meetingId?: string) {
    return this.library.list(meetingId);
  }

  @Get('recordings/:recordingId')
  async get(@Param('recordingId') recordingId: string) {
    const recording = await this.library.get(recordingId);
    if (!recording) throw new NotFoundException(`recording "${recordingId}" not found`);
    return recording;
  }

  /** `{ format: mp4|webm|mp3, resolution?: 480p|720p|1080p }` -> 202 `{ taskId }`. */
  @Post('recordings/:recordingId/transcodes')
  @HttpCode(202)
  async transcode(@Param('recordingId') recordingId: string, @Body() body: unknown) {
    const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : undefined) as Record<string, unknown> | undefined;
    if (!b) throw new BadRequestException('the request body must be a JSON object (Content-Type: application/json)');
    if (typeof b.format !== 'string' || !FORMATS.includes(b.format)) throw new BadRequestException(`format must be one of ${FORMATS.join(', ')}`);
    if (b.resolution !== undefined && (typeof b.resolution !== 'string' || !RESOLUTIONS.includes(b.resolution))) {
      throw new BadRequestException(`resolution must be one of ${RESOLUTIONS.join(', ')}`);
    }
    await this.get(recordingId);
    const taskId = await this.queues.dispatcher.dispatch('transcode', { recordingId, format: b.format, resolution: b.resolution });
    return { taskId, state: 'pending' };
  }

  @Get('tasks/:taskId')
  async task(@Param('taskId') taskId: string) {
    if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(taskId)) throw new BadRequestException('taskId must be 1..100 characters from [A-Za-z0-9_.:-]');
    const status = await this.queues.dispatcher.getStatus(taskId);
    if (!status) throw new NotFoundException(`task "${taskId}" unknown or past its retention`);
    return status;
  }
}
