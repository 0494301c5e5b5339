import { BadRequestException, Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { AiTasks } from './ai-tasks.service';
import { bodyObject, idField, optionalFutureTime, optionalNonNegativeInt, optionalPositiveInt, stringField } from './input';
import { summarize } from './meeting-summary';
import { MeetingsService } from './meetings.service';

/** REST API of the meeting-service. Bad input answers 400 naming the field; unknown ids 404; changes to an ended meeting 409. */
@Controller()
export class MeetingsController {
  constructor(
    private readonly meetings: MeetingsService,
    private readonly ai: AiTasks,
  ) {}

  /**
   * `{ title, hostId?, startsAt?, maxDurationMs?, reminderBeforeMs? }` -> 201 the meeting; publishes meeting.created.
   * Schedules the automatic end at start + maxDurationMs and, with `startsAt`, a meeting.reminder before it.
   */
  @Post('meetings')
  create(@Body() body: unknown) {
    const b = bodyObject(body);
    return this.meetings.create({
      title: stringField(b, 'title')!,
      hostId: idField(b, 'hostId', { optional: true }) ?? 'anonymous',
      startsAt: optionalFutureTime(b, 'startsAt'),
      maxDurationMs: optionalPositiveInt(b, 'maxDurationMs', 24 * 3_600_000),
      reminderBeforeMs: optionalNonNegativeInt(b, 'reminderBeforeMs', 24 * 3_600_000),
    });
  }

  @Get('meetings')
  list() {
    return this.meetings.list();
  }

  @Get('meetings/:meetingId')
  get(@Param('meetingId') meetingId: string) {
    return this.meetings.get(meetingId);
  }

  /**
   * `{ name, participantId? }` -> 201 the participant with its join `token` (and `expiresAt`) for the
   * signaling WebSocket; participant.joined is published when it connects there.
   */
  @Post('meetings/:meetingId/participants')
  join(@Param('meetingId') meetingId: string, @Body() body: unknown) {
    const b = bodyObject(body);
    return this.meetings.admit(meetingId, stringField(b, 'name')!, idField(b, 'participantId', { optional: true }));
  }

  /** -> 204; publishes participant.left (reason `removed`): the signaling-service closes its session. */
  @Delete('meetings/:meetingId/participants/:participantId')
  @HttpCode(204)
  async leave(@Param('meetingId') meetingId: string, @Param('participantId') participantId: string) {
    await this.meetings.remove(meetingId, participantId);
  }

  /** -> 200 the ended meeting; publishes meeting.ended and dispatches recording_process to the media-service. */
  @Post('meetings/:meetingId/end')
  @HttpCode(200)
  end(@Param('meetingId') meetingId: string) {
    return this.meetings.end(meetingId);
  }

  /** `{ audio, participantId?, durationMs? }` -> 202 `{ taskId, state: 'pending' }`; the ai-service's result is recorded when it arrives. */
  @Post('meetings/:meetingId/transcripts')
  @HttpCode(202)
  async transcribe(@Param('meetingId') meetingId: string, @Body() body: unknown) {
    const b = bodyObject(body);
    const input = {
      audio: stringField(b, 'audio', { max: 2000 })!,
      participantId: idField(b, 'participantId', { optional: true }),
      durationMs: optionalPositiveInt(b, 'durationMs', 3_600_000),
    };
    await this.meetings.active(meetingId);
    return this.ai.requestTranscript(meetingId, input);
  }

  @Get('meetings/:meetingId/transcripts')
  async transcripts(@Param('meetingId') meetingId: string) {
    return (await this.meetings.get(meetingId)).transcripts;
  }

  /** The meeting in brief: times, participants, transcripts, and the post-meeting analysis (recording, transcription, emotion). */
  @Get('meetings/:meetingId/summary')
  async summary(@Param('meetingId') meetingId: string) {
    return summarize(await this.meetings.get(meetingId));
  }

  /** `{ sample, participantId? }` -> 200 the ai-service's answer (request/reply; 504 when it does not answer in time). */
  @Post('meetings/:meetingId/emotions')
  @HttpCode(200)
  async emotion(@Param('meetingId') meetingId: string, @Body() body: unknown) {
    const b = bodyObject(body);
    await this.meetings.get(meetingId);
    return this.ai.detectEmotion(meetingId, {
      sample: stringField(b, 'sample', { max: 2000 })!,
      participantId: idField(b, 'participantId', { optional: true }),
    });
  }

  /** Status of a task this service dispatched (speech_recognition, recording_process, ...). */
  @Get('tasks/:taskId')
  async task(@Param('taskId') taskId: string) {
    if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(taskId)) throw new BadRequestException('taskId must be 1..100 characters from [A-Za-z0-9_.:-]');
    const status = await this.ai.status(taskId);
    if (!status) throw new NotFoundException(`task "${taskId}" unknown or past its retention`);
    return status;
  }
}
