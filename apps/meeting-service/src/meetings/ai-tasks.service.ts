import { BadGatewayException, GatewayTimeoutException, Injectable, Logger, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { ContractError, parseTaskPayload, parseTaskResult, TaskPayload, TaskResult } from '@meeting/contracts';
import { CompletedTask, DispatchTimeoutError, FailedTask, QueueManager, RemoteTaskError } from '@meeting/queue';
import { MeetingEventsPublisher } from './meeting-events.publisher';
import { MeetingRepository } from './meeting.repository';
import type { Transcript } from './meeting.types';
import { MeetingSeq } from './seq/meeting-seq';

export const EMOTION_TIMEOUT_MS = 5000;

/**
 * Work for the ai-service through the dispatcher (routes in apps/meeting-service/config.yaml):
 * `speech_recognition` is dispatched and its result recorded by an onCompleted callback (once per
 * task, even if this process restarted meanwhile); `emotion_detection` is request/reply.
 */
@Injectable()
export class AiTasks implements OnModuleInit {
  private readonly logger = new Logger('AiTasks');

  constructor(
    private readonly queues: QueueManager,
    private readonly repository: MeetingRepository,
    private readonly events: MeetingEventsPublisher,
    private readonly seq: MeetingSeq,
  ) {}

  onModuleInit(): void {
    if (!this.crossService) return;
    this.queues.dispatcher.onCompleted('speech_recognition', (task) => this.onTranscript(task));
    this.queues.dispatcher.onFailed('speech_recognition', (task) => this.onTranscriptFailed(task));
  }

  /** Dispatches speech recognition of one audio clip; the transcript is recorded as pending. */
  async requestTranscript(meetingId: string, input: Omit<TaskPayload<'speech_recognition'>, 'meetingId'>): Promise<Transcript> {
    this.requireCrossService('speech recognition');
    const meeting = this.repository.get(meetingId);
    const taskId = await this.queues.dispatcher.dispatch('speech_recognition', parseTaskPayload('speech_recognition', { meetingId, ...input }));
    const transcript: Transcript = { taskId, participantId: input.participantId, state: 'pending', requestedAt: new Date().toISOString() };
    meeting.transcripts.push(transcript);
    this.logger.log(`meeting ${meetingId}: speech_recognition dispatched as ${taskId}`);
    return transcript;
  }

  /** Request/reply: waits for the ai-service's emotion detection. 504 on timeout, 502 when the task failed. */
  async detectEmotion(meetingId: string, input: Omit<TaskPayload<'emotion_detection'>, 'meetingId'>): Promise<TaskResult<'emotion_detection'>> {
    this.requireCrossService('emotion detection');
    this.repository.get(meetingId);
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

  /** Where a task dispatched by this service is (null when unknown). */
  status(taskId: string) {
    this.requireCrossService('task status');
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
      this.markFailed(task.taskId, `ContractError: ${(error as Error).message}`, task.finishedAt);
      return;
    }
    const { meetingId, participantId, text, words, confidence } = result;
    const transcript = this.findTranscript(meetingId, task.taskId);
    if (!transcript) {
      this.logger.warn(`transcript ${task.taskId} for unknown meeting ${meetingId} (restarted service?) dropped`);
      return;
    }
    Object.assign(transcript, { state: 'completed', text, words, confidence, completedAt: new Date(task.finishedAt).toISOString() });
    this.logger.log(`meeting ${meetingId}: transcript ${task.taskId} recorded (${words} words)`);
    const meeting = this.repository.get(meetingId);
    // transcript.recorded is an event of the meeting like any other: it takes the next seq
    meeting.seq = await this.seq.next(meetingId);
    await this.events.publish('transcript.recorded', { meetingId, seq: meeting.seq, taskId: task.taskId, participantId, words });
  }

  private onTranscriptFailed(task: FailedTask): void {
    this.markFailed(task.taskId, `${task.error.name}: ${task.error.message}`, task.finishedAt, task.attempts);
  }

  private markFailed(taskId: string, error: string, finishedAt: number, attempts?: number): void {
    for (const meeting of this.repository.list()) {
      const transcript = meeting.transcripts.find((t) => t.taskId === taskId);
      if (!transcript) continue;
      Object.assign(transcript, { state: 'failed', error, completedAt: new Date(finishedAt).toISOString() });
      this.logger.warn(`meeting ${meeting.meetingId}: transcript ${taskId} failed${attempts ? ` after ${attempts} attempts` : ''}: ${error}`);
      return;
    }
  }

  private findTranscript(meetingId: string, taskId: string): Transcript | undefined {
    return this.repository.find(meetingId)?.transcripts.find((t) => t.taskId === taskId);
  }
}
