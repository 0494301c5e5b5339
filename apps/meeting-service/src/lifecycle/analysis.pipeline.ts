import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ContractError, parseTaskPayload, parseTaskResult } from '@meeting/contracts';
import { CompletedTask, FailedTask, QueueManager } from '@meeting/queue';
import { MeetingEventsPublisher } from '../meetings/meeting-events.publisher';
import type { AnalysisPart, MeetingAnalysis, MeetingRecord } from '../meetings/meeting.types';
import { MEETING_REPOSITORY, MeetingRepository } from '../meetings/store/meeting-store';
import { TaskOwners } from './task-owners';

/** The field of the analysis holding the task id of each part. */
const TASK_OF: Record<AnalysisPart, 'recordingTaskId' | 'speechTaskId' | 'emotionTaskId'> = {
  recording: 'recordingTaskId',
  transcription: 'speechTaskId',
  emotion: 'emotionTaskId',
};

/**
 * After a meeting ends: `recording_process` at high priority to the media-service, then
 * `speech_recognition` and `emotion_detection` on the recording to the ai-service. Results arrive
 * through the dispatcher's callbacks (once per task, whichever replica runs, across restarts) and
 * are stored on the meeting (`analysis`); `meeting.analysed` is published when both are in.
 * A part whose task fails for good (dead-lettered) or whose result breaks its contract is recorded
 * in `analysis.failures` and the analysis ends `failed` (never stays `analysing`).
 */
@Injectable()
export class AnalysisPipeline implements OnModuleInit {
  private readonly logger = new Logger('Analysis');

  constructor(
    private readonly queues: QueueManager,
    @Inject(MEETING_REPOSITORY) private readonly repository: MeetingRepository,
    private readonly events: MeetingEventsPublisher,
    private readonly owners: TaskOwners,
  ) {}

  onModuleInit(): void {
    if (!this.crossService) return;
    this.queues.dispatcher.onCompleted('recording_process', (task) => this.onRecording(task));
    this.queues.dispatcher.onFailed('recording_process', (task) => this.onFailed(task, 'recording'));
    this.queues.dispatcher.onCompleted('emotion_detection', (task) => this.onEmotion(task));
    this.queues.dispatcher.onFailed('emotion_detection', (task) => this.onFailed(task, 'emotion'));
    // speech_recognition's callbacks belong to AiTasks, which hands the analysis' own task over (onTranscript, partFailed)
  }

  private get crossService(): boolean {
    return this.queues.config.message_queue.type === 'redis';
  }

  /** Dispatches the recording of an ended meeting; resolves to the meeting with its analysis. */
  async start(meetingId: string, durationMs: number, participants: string[]): Promise<MeetingRecord | undefined> {
    if (!this.crossService) {
      this.logger.warn(`meeting ${meetingId}: no analysis: the media- and ai-services are reached through Redis, and this service runs on the memory backend`);
      return this.mark(meetingId, (a) => void (a.state = 'failed'), ['the memory backend reaches no media-service']);
    }
    try {
      const taskId = await this.queues.dispatcher.dispatch(
        'recording_process',
        parseTaskPayload('recording_process', { meetingId, durationMs, participants }),
        {
          priority: 'high',
        },
      );
      await this.repository.linkTask(taskId, meetingId);
      this.logger.log(`meeting ${meetingId}: recording_process dispatched as ${taskId} (high priority)`);
      return this.mark(meetingId, (a) => void (a.recordingTaskId = taskId), [], taskId);
    } catch (error) {
      this.logger.error(`meeting ${meetingId}: could not dispatch recording_process: ${(error as Error).message}`);
      return this.mark(meetingId, (a) => void (a.state = 'failed'), [`recording_process not dispatched: ${(error as Error).message}`]);
    }
  }

  private async onRecording(task: CompletedTask): Promise<void> {
    const recording = parseTaskResult('recording_process', task.result);
    const meetingId = recording.meetingId;
    const meeting = await this.owners.wait(meetingId, (m) => m.analysis?.recordingTaskId === task.taskId);
    if (!meeting || meeting.analysis?.state !== 'recording') return;
    const ref = `recording:${recording.recordingId}`;
    const [speechTaskId, emotionTaskId] = await Promise.all([
      this.queues.dispatcher.dispatch(
        'speech_recognition',
        parseTaskPayload('speech_recognition', { meetingId, audio: ref, durationMs: recording.durationMs || undefined }),
      ),
      this.queues.dispatcher.dispatch('emotion_detection', parseTaskPayload('emotion_detection', { meetingId, sample: ref })),
    ]);
    await Promise.all([this.repository.linkTask(speechTaskId, meetingId), this.repository.linkTask(emotionTaskId, meetingId)]);
    await this.mark(meetingId, (a) => {
      Object.assign(a, { state: 'analysing', speechTaskId, emotionTaskId });
      a.recording = { recordingId: recording.recordingId, format: recording.format, durationMs: recording.durationMs, sizeBytes: recording.sizeBytes };
    });
    this.logger.log(`meeting ${meetingId}: recording ${recording.recordingId} ready; speech_recognition ${speechTaskId}, emotion_detection ${emotionTaskId}`);
  }

  /** The analysis transcript (AiTasks hands over speech results that are not a participant's transcript). */
  async onTranscript(meetingId: string, taskId: string, result: { text: string; words: number; confidence: number }): Promise<void> {
    await this.finishPart(
      meetingId,
      (a) => a.speechTaskId === taskId,
      (a) => void (a.transcript = result),
    );
  }

  private async onEmotion(task: CompletedTask): Promise<void> {
    let result;
    try {
      result = parseTaskResult('emotion_detection', task.result);
    } catch (error) {
      if (!(error instanceof ContractError)) throw error;
      // the analysis' task is linked to its meeting; a live request's reply is not (its caller got a 502)
      const meetingId = await this.owners.meetingOf(task.taskId);
      const reason = `emotion_detection ${task.taskId}: result breaks its contract: ${error.message}`;
      if (!meetingId || !(await this.partFailed(meetingId, task.taskId, 'emotion', reason))) this.logger.warn(reason);
      return;
    }
    // the recording's callback dispatches this task and records its id right after: a fast result
    // can come in between (the dispatcher delivers results of different tasks concurrently), while
    // the analysis is still `recording`; it waits for that write, as a quick failure does (partFailed)
    const meeting = await this.owners.wait(
      result.meetingId,
      (m) => m.analysis?.emotionTaskId === task.taskId,
      (m) => m.analysis?.state === 'recording' || (m.analysis?.state === 'analysing' && !m.analysis.emotionTaskId),
    );
    if (!meeting) return; // a request/reply emotion detection of a live meeting: answered to its caller
    await this.finishPart(
      result.meetingId,
      (a) => a.emotionTaskId === task.taskId,
      (a) => void (a.emotion = { emotion: result.emotion, confidence: result.confidence }),
    );
  }

  private async onFailed(task: FailedTask, part: AnalysisPart): Promise<void> {
    const meetingId = await this.owners.meetingOf(task.taskId);
    if (!meetingId) return;
    await this.partFailed(meetingId, task.taskId, part, `${task.type} ${task.taskId} failed after ${task.attempts} attempt(s): ${task.error.message}`);
  }

  /**
   * Records that a part of the meeting's analysis failed (its task failed for good or its result broke
   * the contract): `failures[part]` and `errors` get the reason; once the other part is in, the
   * analysis ends `failed` (at once for the recording). False when the task is not the analysis' own.
   */
  async partFailed(meetingId: string, taskId: string, part: AnalysisPart, reason: string): Promise<boolean> {
    const field = TASK_OF[part];
    // a quick failure can come before the analysis recorded the task id (right after dispatching it)
    const owner = await this.owners.wait(
      meetingId,
      (m) => m.analysis?.[field] === taskId,
      (m) => m.analysis?.state === 'recording' && (part !== 'recording' || !m.analysis.recordingTaskId),
    );
    if (!owner) return false;
    await this.finishPart(
      meetingId,
      (a) => a[field] === taskId,
      (a) => {
        a.failures = { ...a.failures, [part]: reason };
        a.errors.push(reason);
        if (part === 'recording') a.state = 'failed';
      },
    );
    this.logger.warn(`meeting ${meetingId}: analysis ${part} failed: ${reason}`);
    return true;
  }

  private async finishPart(meetingId: string, mine: (a: MeetingAnalysis) => boolean, apply: (a: MeetingAnalysis) => void): Promise<void> {
    let done = false;
    const result = await this.repository.update(meetingId, (m) => {
      const a = m.analysis;
      if (!a || !mine(a)) return false;
      apply(a);
      const settled = (part: AnalysisPart, value: unknown) => !a[TASK_OF[part]] || value !== undefined || a.failures?.[part] !== undefined;
      if (a.state === 'analysing' && settled('transcription', a.transcript) && settled('emotion', a.emotion)) {
        a.state = a.failures?.transcription !== undefined || a.failures?.emotion !== undefined ? 'failed' : 'completed';
        done = true;
      } else if (a.state === 'failed') {
        done = true;
      }
      a.updatedAt = new Date().toISOString();
      m.seq++;
      return true;
    });
    if (!result?.changed || !done) return;
    const a = result.meeting.analysis as MeetingAnalysis;
    this.logger.log(`meeting ${meetingId}: analysis ${a.state}`);
    await this.events.publish('meeting.analysed', {
      meetingId,
      seq: result.meeting.seq,
      state: a.state === 'completed' ? 'completed' : 'failed',
      recordingId: a.recording?.recordingId,
    });
  }

  private async mark(
    meetingId: string,
    apply: (a: MeetingAnalysis) => void,
    errors: string[] = [],
    recordingTaskId?: string,
  ): Promise<MeetingRecord | undefined> {
    const result = await this.repository.update(meetingId, (m) => {
      m.analysis ??= { state: 'recording', errors: [], updatedAt: '' };
      apply(m.analysis);
      m.analysis.errors.push(...errors);
      m.analysis.updatedAt = new Date().toISOString();
      if (recordingTaskId) m.recordingTaskId = recordingTaskId;
      m.seq++;
      return true;
    });
    return result?.meeting;
  }
}
