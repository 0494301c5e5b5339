import { BadRequestException, Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiGatewayTimeoutResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { TASK_ID_PATTERN } from '@meeting/contracts';
import { taskStatusView } from '@meeting/http';
import { AiTasks } from './ai-tasks.service';
import { CreateMeetingDto } from './dto/create-meeting.dto';
import { EmotionRequestDto } from './dto/emotion-request.dto';
import { JoinMeetingDto } from './dto/join-meeting.dto';
import { TranscriptRequestDto } from './dto/transcript-request.dto';
import { summarize } from './meeting-summary';
import { MeetingsService } from './meetings.service';

/**
 * REST API of the meeting-service (OpenAPI at /docs). Bodies are JSON objects checked against the
 * DTOs (400 naming the field, unknown keys refused); unknown meetings and participants 404; changes
 * to an ended meeting 409.
 */
@ApiTags('meetings')
@ApiBadRequestResponse({ description: 'a body or parameter that breaks the rules (the message names the field)' })
@Controller()
export class MeetingsController {
  constructor(
    private readonly meetings: MeetingsService,
    private readonly ai: AiTasks,
  ) {}

  /**
   * Creates a meeting (201) and publishes meeting.created. Schedules the automatic end at start +
   * maxDurationMs and, with `startsAt`, a meeting.reminder reminderBeforeMs before it.
   */
  @Post('meetings')
  create(@Body() body: CreateMeetingDto) {
    return this.meetings.create({
      title: body.title,
      hostId: body.hostId ?? 'anonymous',
      startsAt: body.startsAt === undefined ? undefined : new Date(body.startsAt).toISOString(),
      maxDurationMs: body.maxDurationMs,
      reminderBeforeMs: body.reminderBeforeMs,
    });
  }

  @Get('meetings')
  list() {
    return this.meetings.list();
  }

  @Get('meetings/:meetingId')
  @ApiOkResponse({ description: 'the meeting with its participants, schedule, analysis and transcripts' })
  @ApiNotFoundResponse({ description: 'unknown meeting' })
  get(@Param('meetingId') meetingId: string) {
    return this.meetings.get(meetingId);
  }

  /**
   * Admits a participant (201): the participant with its join `token`, `expiresAt` and `signalingPath`
   * for the signaling WebSocket; participant.joined is published when it connects there.
   */
  @Post('meetings/:meetingId/participants')
  @ApiCreatedResponse({ description: 'the participant with its join token (token, expiresAt, signalingPath)' })
  @ApiNotFoundResponse({ description: 'unknown meeting' })
  @ApiConflictResponse({ description: 'the meeting has ended' })
  join(@Param('meetingId') meetingId: string, @Body() body: JoinMeetingDto) {
    return this.meetings.admit(meetingId, body.name, body.participantId);
  }

  /** Removes a participant (204) and publishes participant.left (reason `removed`): the signaling-service closes its session. */
  @Delete('meetings/:meetingId/participants/:participantId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'removed; its signaling session is closed and its earlier join tokens refused' })
  @ApiNotFoundResponse({ description: 'unknown meeting or participant' })
  @ApiConflictResponse({ description: 'the meeting has ended' })
  async leave(@Param('meetingId') meetingId: string, @Param('participantId') participantId: string) {
    await this.meetings.remove(meetingId, participantId);
  }

  /** Ends the meeting (200): publishes meeting.ended and dispatches recording_process to the media-service. */
  @Post('meetings/:meetingId/end')
  @HttpCode(200)
  @ApiOkResponse({ description: 'the ended meeting' })
  @ApiNotFoundResponse({ description: 'unknown meeting' })
  @ApiConflictResponse({ description: 'the meeting has already ended' })
  end(@Param('meetingId') meetingId: string) {
    return this.meetings.end(meetingId);
  }

  /** Dispatches speech recognition (202 `{ taskId, state: 'pending' }`); the ai-service's result is recorded when it arrives. */
  @Post('meetings/:meetingId/transcripts')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'the pending transcript' })
  @ApiNotFoundResponse({ description: 'unknown meeting, or a participantId not in the meeting' })
  @ApiConflictResponse({ description: 'the meeting has ended' })
  async transcribe(@Param('meetingId') meetingId: string, @Body() body: TranscriptRequestDto) {
    await this.meetings.active(meetingId);
    await this.meetings.withParticipant(meetingId, body.participantId);
    return this.ai.requestTranscript(meetingId, body);
  }

  @Get('meetings/:meetingId/transcripts')
  @ApiOkResponse({ description: 'the transcripts and their states' })
  @ApiNotFoundResponse({ description: 'unknown meeting' })
  async transcripts(@Param('meetingId') meetingId: string) {
    return (await this.meetings.get(meetingId)).transcripts;
  }

  /** The meeting in brief: times, participants, transcripts, and the post-meeting analysis (recording, transcription, emotion). */
  @Get('meetings/:meetingId/summary')
  @ApiOkResponse({ description: 'the summary of the meeting and of its post-meeting analysis' })
  @ApiNotFoundResponse({ description: 'unknown meeting' })
  async summary(@Param('meetingId') meetingId: string) {
    return summarize(await this.meetings.get(meetingId));
  }

  /** Emotion detection by request/reply (200 the ai-service's answer; 504 when it does not answer in time, 502 when it failed). */
  @Post('meetings/:meetingId/emotions')
  @HttpCode(200)
  @ApiOkResponse({ description: 'the emotion_detection result' })
  @ApiNotFoundResponse({ description: 'unknown meeting, or a participantId not in the meeting' })
  @ApiBadGatewayResponse({ description: 'the emotion_detection task failed' })
  @ApiGatewayTimeoutResponse({ description: 'the ai-service did not answer within 5 s' })
  async emotion(@Param('meetingId') meetingId: string, @Body() body: EmotionRequestDto) {
    await this.meetings.withParticipant(meetingId, body.participantId);
    return this.ai.detectEmotion(meetingId, body);
  }

  /** Status of a task this service dispatched (speech_recognition, recording_process, ...), times in ISO 8601. */
  @Get('tasks/:taskId')
  @ApiOkResponse({ description: 'the task status (times in ISO 8601)' })
  @ApiNotFoundResponse({ description: 'unknown task, or past its retention' })
  async task(@Param('taskId') taskId: string) {
    if (!TASK_ID_PATTERN.test(taskId)) throw new BadRequestException('taskId must be 1..100 characters from [A-Za-z0-9_.:-]');
    const status = await this.ai.status(taskId);
    if (!status) throw new NotFoundException(`task "${taskId}" unknown or past its retention`);
    return taskStatusView(status);
  }
}
