import { BadRequestException, Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { parseTaskPayload, TASK_ID_PATTERN } from '@meeting/contracts';
import { taskStatusView } from '@meeting/http';
import { QueueManager } from '@meeting/queue';
import { RECORDING_REPOSITORY, RecordingRepository } from './store/recording-repository';
import { ListRecordingsQuery } from './list-recordings.query';
import { TranscodeRequestDto } from './transcode-request.dto';

/** REST of the media-service (OpenAPI at /docs): recordings, transcode requests (through the dispatcher, to this service's queue) and their status. */
@ApiTags('media')
@Controller()
export class MediaController {
  constructor(
    @Inject(RECORDING_REPOSITORY) private readonly library: RecordingRepository,
    private readonly queues: QueueManager,
  ) {}

  /** Recordings, oldest first; `?meetingId=` only that meeting's (400 for a bad or repeated id, or another query key). */
  @Get('recordings')
  @ApiOkResponse({ description: 'the recordings with their renditions' })
  @ApiBadRequestResponse({ description: 'meetingId not an id, given more than once, or another query key' })
  list(@Query() query: ListRecordingsQuery) {
    return this.library.list(query.meetingId);
  }

  @Get('recordings/:recordingId')
  @ApiOkResponse({ description: 'the recording with its renditions' })
  @ApiNotFoundResponse({ description: 'unknown recording' })
  async get(@Param('recordingId') recordingId: string) {
    const recording = await this.library.get(recordingId);
    if (!recording) throw new NotFoundException(`recording "${recordingId}" not found`);
    return recording;
  }

  /** Requests a rendition (202 `{ taskId, state: 'pending' }`); the `transcode` task runs on this service's queue. */
  @Post('recordings/:recordingId/transcodes')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'the pending transcode task' })
  @ApiBadRequestResponse({ description: 'a format or resolution outside the lists, or unknown keys' })
  @ApiNotFoundResponse({ description: 'unknown recording' })
  async transcode(@Param('recordingId') recordingId: string, @Body() body: TranscodeRequestDto) {
    await this.get(recordingId);
    const payload = parseTaskPayload('transcode', { recordingId, format: body.format, resolution: body.resolution });
    const taskId = await this.queues.dispatcher.dispatch('transcode', payload);
    return { taskId, state: 'pending' };
  }

  /** Status of a task (transcode, recording_process, ...), times in ISO 8601. */
  @Get('tasks/:taskId')
  @ApiOkResponse({ description: 'the task status (times in ISO 8601)' })
  @ApiBadRequestResponse({ description: 'taskId is not a task id' })
  @ApiNotFoundResponse({ description: 'unknown task, or past its retention' })
  async task(@Param('taskId') taskId: string) {
    if (!TASK_ID_PATTERN.test(taskId)) throw new BadRequestException('taskId must be 1..100 characters from [A-Za-z0-9_.:-]');
    const status = await this.queues.dispatcher.getStatus(taskId);
    if (!status) throw new NotFoundException(`task "${taskId}" unknown or past its retention`);
    return taskStatusView(status);
  }
}
