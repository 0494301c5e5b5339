import { BadGatewayException, GatewayTimeoutException, Inject, Injectable, Logger, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { ContractError, parseTaskPayload, parseTaskResult, TaskPayload, TaskResult } from '@meeting/contracts';
import { CompletedTask, DispatchTimeoutError, FailedTask, QueueManager, RemoteTaskError } from '@meeting/queue';
import { AnalysisPipeline } from '../lifecycle/analysis.pipeline';
import { TaskOwners } from '../lifecycle/task-owners';
import { MeetingEventsPublisher } from './meeting-events.publisher';
import type { Transcript } from './meeting.types';
import { MEETING_REPOSITORY, MeetingRepository, TRANSCRIPT_REPOSITORY, TranscriptRepository } from './store/meeting-store';

export const EMOTION_TIMEOUT_MS = 5000;

/**
 * Work for the ai-service through the dispatcher (routes in apps/meeting-service/config.yaml):
 * `speech_recognition` is dispatched and its result recorded by an onCompleted callback (once per
 * task, even if this process restarted meanwhile, on whichever replica); `emotion_detection` is request/reply.
 */
@Injectable()
export class AiTasks implements OnModuleInit {
  private readonly logger = new Logger('AiTasks');

  constructor(
    private readonly queues: QueueManager,
    @Inject(MEETING_REPOSITORY) private readonly meetings: MeetingRepository,
    @Inject(TRANSCRIPT_REPOSITORY) private readonly transcripts: TranscriptRepository,
    private readonly events: MeetingEventsPublisher,
    private readonly analysis: AnalysisPipeline,
    private readonly owners: TaskOwners,
  ) {}

  onModuleInit(): void {
    if (!this.crossService) return;
    this.queues.dispatcher.onCompleted('speech_recognition', (task) => this.onTranscript(task));
    this.queues.dispatcher.onFailed('speech_recognition', (task) => this.onTranscriptFailed(task));
  }

  /** Dispatches speech recognition of one audio clip; the transcript is recorded as pending. */
  async requestTranscript(meetingId: string, input: Omit<TaskPayload<'speech_recognition'>, 'meetingId'>): Promise<Transcript> {
    this.requireCrossService('speech recognition');
    // group: the meeting, so one meeting's backlog of clips does not hold back another's (docs/queue.md, "Groups")
    const taskId = await this.queues.dispatcher.dispatch('speech_recognition', parseTaskPayload('speech_recognition', { meetingId, ...input }), {
      group: meetingId,
    });
    const transcript: Transcript = { taskId, participantId: input.participantId, state: 'pending', requestedAt: new Date().toISOString() };
    await this.meetings.linkTask(taskId, meetingId);
    await this.transcripts.save(meetingId, transcript);
    this.logger.log(`meeting ${meetingId}: speech_recognition dispatched as ${taskId}`);
    return transcript;
  }

  /** Request/reply: waits for the ai-service's emotion detection. 504 on timeout, 502 when the task failed. */
  async detectEmotion(meetingId: string, input: Omit<TaskPayload<'emotion_detection'>, 'meetingId'>): Promise<TaskResult<'emotion_detection'>> {
    this.requireCrossService('emotion detection');
    try {
      const payload = parseTaskPayload('emotion_detection', { meetingId, ...input });
      const result = await this.queues.dispatcher.dispatchAndWait('emotion_detection', payload, { timeoutMs: EMOTION_TIMEOUT_MS });
      return parseTaskResult('emotion_detection', result);
    } catch (error) {
      if (error instanceof ContractError) throw new BadGatewayException(`emotion detection answered outside its contract: ${error.message}`);
      if (error instanceof DispatchTimeoutError)
        throw new GatewayTimeoutException(`emotion detection got no answer from the ai-service within ${EMOTION_TIMEOUT_MS} ms`);
      if (error instanceof RemoteTaskError) throw new BadGatewayException(`emotion detection failed in the ai-service: ${error.message}`);
      throw error;
    }
  }

  /**
   * Where a task this service dispatched is (null when unknown). The dispatcher answers for any task
   * on the queues it dispatches to (the media-service's own `transcode` tasks share `media_tasks`);
   * only the tasks this service linked to a meeting when it dispatched them are answered for.
   */
  async status(taskId: string) {
    this.requireCrossService('task status');
    if ((await this.meetings.meetingOfTask(taskId)) === undefined) return null;
    return this.queues.dispatcher.getStatus(taskId);
  }

  private get crossService(): boolean {
    return this.queues.config.message_queue.type === 'redis';
  }

  private requireCrossService(what: string): void {
    if (!this.crossService) {
      throw new ServiceUnavailableException(
        `${what} runs in the ai-service and needs Redis; this service runs on the memory backend (set REDIS_URL or put redis-server on PATH)`,
      );
    }
  }

  private async onTranscript(task: CompletedTask): Promise<void> {
    let result: TaskResult<'speech_recognition'>;
    try {
      result = parseTaskResult('speech_recognition', task.result);
    } catch (error) {
      if (!(error instanceof ContractError)) throw error;
      // a result outside its contract fails its transcript (the task is known by its link to the meeting)
      return this.markFailed(task.taskId, `ContractError: ${error.message}`, task.finishedAt);
    }
    const { meetingId, participantId, text, words, confidence } = result;
    // The request records the transcript (or the analysis its task id) right after dispatching: a fast result can come first.
    const owner = await this.owners.find(
      meetingId,
      async (m) => (await this.transcripts.find(meetingId, task.taskId)) ?? (m.analysis?.speechTaskId === task.taskId ? 'analysis' : undefined),
    );
    if (owner === 'analysis') return this.analysis.onTranscript(meetingId, task.taskId, { text, words, confidence });
    const transcript = owner;
    if (!transcript) return this.logger.warn(`transcript ${task.taskId} of meeting ${meetingId}: no request recorded, dropped`);
    await this.transcripts.save(meetingId, {
      ...transcript,
      state: 'completed',
      text,
      words,
      confidence,
      completedAt: new Date(task.finishedAt).toISOString(),
    });
    this.logger.log(`meeting ${meetingId}: transcript ${task.taskId} recorded (${words} words)`);
    // transcript.recorded is an event of the meeting like any other: it takes the next seq
    const changed = await this.meetings.update(meetingId, (m) => {
      m.seq++;
      return true;
    });
    if (changed) await this.events.publish('transcript.recorded', { meetingId, seq: changed.meeting.seq, taskId: task.taskId, participantId, words });
  }

  private onTranscriptFailed(task: FailedTask): Promise<void> {
    return this.markFailed(task.taskId, `${task.error.name}: ${task.error.message}`, task.finishedAt, task.attempts);
  }

  /** Marks a participant's transcript failed, or the transcription part of the analysis when the task is the analysis' own. */
  private async markFailed(taskId: string, error: string, finishedAt: number, attempts?: number): Promise<void> {
    // the request links the task and records the transcript right after dispatching: a quick failure can come first
    const meetingId = await this.owners.meetingOf(taskId);
    if (!meetingId) return;
    const transcript = await this.owners.find(
      meetingId,
      async (m) => (await this.transcripts.find(meetingId, taskId)) ?? (m.analysis?.speechTaskId === taskId ? ('analysis' as const) : undefined),
    );
    if (transcript === 'analysis') {
      const how = attempts ? `failed after ${attempts} attempt(s)` : 'answered outside its contract';
      await this.analysis.partFailed(meetingId, taskId, 'transcription', `speech_recognition ${taskId} ${how}: ${error}`);
      return;
    }
    if (!transcript) return;
    await this.transcripts.save(meetingId, { ...transcript, state: 'failed', error, completedAt: new Date(finishedAt).toISOString() });
    this.logger.warn(`meeting ${meetingId}: transcript ${taskId} failed${attempts ? ` after ${attempts} attempts` : ''}: ${error}`);
  }
}
