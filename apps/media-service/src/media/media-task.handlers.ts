import { Inject, Injectable, Logger } from '@nestjs/common';
import { ContractError, parseTaskPayload, parseTaskResult, TaskResult } from '@meeting/contracts';
import { DispatchHandlerContext, sleepUnlessAborted } from '@meeting/queue';
import { OnTask } from '@meeting/queue/nest';
import { MediaEventsPublisher } from './media-events.publisher';
import type { Recording } from './recording.types';
import { RECORDING_REPOSITORY, RecordingRepository } from './store/recording-repository';
import { MEDIA_OPTIONS, MediaOptions } from './media-options';

/** Chunks of a simulated transcode, one progress report each. */
const TRANSCODE_CHUNKS = 4;
/**
 * Media task types on this service's queue (`media_tasks`): `recording_process` (dispatched by the
 * meeting-service when a meeting ends), `transcode`, and `media_cleanup` (recurring, from the
 * scheduler). Each publishes its outcome on `media_events`. Payloads and results follow
 * @meeting/contracts: a bad payload fails at once (ContractError, not retryable).
 */
@Injectable()
export class MediaTaskHandlers {
  private readonly logger = new Logger('MediaTasks');

  constructor(
    @Inject(RECORDING_REPOSITORY) private readonly library: RecordingRepository,
    private readonly events: MediaEventsPublisher,
    @Inject(MEDIA_OPTIONS) private readonly options: MediaOptions,
  ) {}

  @OnTask('recording_process', { timeoutMs: 120_000 })
  async processRecording(payload: unknown, ctx: DispatchHandlerContext): Promise<Recording> {
    const { meetingId, durationMs, participants } = parseTaskPayload('recording_process', payload);
    await sleepUnlessAborted(50, ctx.signal);
    // One recording per meeting: a redelivered task rebuilds the same recording.
    const recording: Recording = {
      recordingId: `rec-${meetingId}`,
      meetingId,
      format: 'mp4',
      durationMs,
      participants,
      sizeBytes: Math.round(durationMs * 31.25) + 1024,
      createdAt: new Date().toISOString(),
      renditions: {},
    };
    await this.library.save(recording);
    this.logger.log(`recording_process ${ctx.taskId} from ${ctx.origin}: ${recording.recordingId} (${durationMs} ms)`);
    await this.events.publish('recording.processed', {
      meetingId: recording.meetingId,
      recordingId: recording.recordingId,
      format: recording.format,
      durationMs,
    });
    return parseTaskResult('recording_process', recording);
  }

  @OnTask('transcode', { timeoutMs: 300_000 })
  async transcode(payload: unknown, ctx: DispatchHandlerContext): Promise<TaskResult<'transcode'>> {
    const p = parseTaskPayload('transcode', payload);
    const recording = await this.library.get(p.recordingId);
    if (!recording) throw new ContractError('transcode', [`payload.recordingId: unknown recording "${p.recordingId}"`]);
    const { format } = p;
    const resolution = p.resolution ?? '720p';
    // the (simulated) encode in four chunks, each reported to the caller (dispatcher onProgress, task status);
    // reports are throttled by the queue (one write per 100 ms): the last one is awaited so 100 % is always seen
    for (let chunk = 1; chunk <= TRANSCODE_CHUNKS; chunk++) {
      await sleepUnlessAborted(80 / TRANSCODE_CHUNKS, ctx.signal);
      const report = ctx.progress({ percent: Math.round((chunk / TRANSCODE_CHUNKS) * 100), stage: 'encode' });
      if (chunk === TRANSCODE_CHUNKS) await report;
    }
    const rendition = { resolution, sizeBytes: Math.round(recording.sizeBytes * (format === 'mp3' ? 0.1 : 0.6)) };
    if (!(await this.library.addRendition(recording.recordingId, format, rendition))) {
      throw new ContractError('transcode', [`payload.recordingId: recording "${recording.recordingId}" was removed`]);
    }
    this.logger.log(`transcode ${ctx.taskId}: ${recording.recordingId} -> ${format} ${resolution}`);
    await this.events.publish('media.transcoded', { meetingId: recording.meetingId, recordingId: recording.recordingId, format, resolution });
    return parseTaskResult('transcode', { recordingId: recording.recordingId, format, ...rendition });
  }

  @OnTask('media_cleanup', { timeoutMs: 60_000 })
  async cleanup(payload: unknown, ctx: DispatchHandlerContext): Promise<TaskResult<'media_cleanup'>> {
    parseTaskPayload('media_cleanup', payload);
    const removed = await this.library.removeOlderThan(Date.now() - this.options.retentionMs);
    this.logger.log(`media_cleanup ${ctx.taskId}: ${removed.length} recording(s) past the retention removed`);
    if (removed.length > 0) await this.events.publish('media.cleanup_completed', { removed });
    return parseTaskResult('media_cleanup', { removed });
  }
}
