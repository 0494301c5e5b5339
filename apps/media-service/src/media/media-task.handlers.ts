import { Inject, Injectable, Logger } from '@nestjs/common';
import { DispatchHandlerContext, NonRetryableError, sleepUnlessAborted } from '@meeting/queue';
import { OnTask } from '@meeting/queue/nest';
import { MediaEventsPublisher } from './media-events.publisher';
import type { Recording } from './recording.types';
import { RECORDING_REPOSITORY, RecordingRepository } from './store/recording-repository';
import { MEDIA_OPTIONS, MediaOptions } from './media-options';

const FORMATS = ['mp4', 'webm', 'mp3'] as const;
const RESOLUTIONS = ['480p', '720p', '1080p'] as const;

function fail(message: string): never {
  throw new NonRetryableError(message);
}

function object(type: string, payload: unknown): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) fail(`${type}: the payload must be an object`);
  return payload as Record<string, unknown>;
}

/**
 * Media task types on this service's queue (`media_tasks`): `recording_process` (dispatched by the
 * meeting-service when a meeting ends), `transcode`, and `media_cleanup` (recurring, from the
 * scheduler). Each publishes its outcome on `media_events`.
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
    const p = object('recording_process', payload);
    if (typeof p.meetingId !== 'string' || !p.meetingId) fail('recording_process: payload.meetingId must be a non-empty string');
    const durationMs = typeof p.durationMs === 'number' && p.durationMs >= 0 ? p.durationMs : 0;
    const participants = Array.isArray(p.participants) ? p.participants.filter((x): x is string => typeof x === 'string') : [];
    await sleepUnlessAborted(50, ctx.signal);
    // One recording per meeting: a redelivered task rebuilds the same recording.
    const recording: Recording = {
      recordingId: `rec-${p.meetingId}`,
      meetingId: p.meetingId,
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
    return recording;
  }

  @OnTask('transcode', { timeoutMs: 300_000 })
  async transcode(payload: unknown, ctx: DispatchHandlerContext) {
    const p = object('transcode', payload);
    const recording = typeof p.recordingId === 'string' ? await this.library.get(p.recordingId) : undefined;
    if (!recording) fail(`transcode: unknown recordingId ${JSON.stringify(p.recordingId)}`);
    const format = (FORMATS as readonly unknown[]).includes(p.format) ? (p.format as string) : fail(`transcode: format must be one of ${FORMATS.join(', ')}`);
    const resolution =
      p.resolution === undefined
        ? '720p'
        : (RESOLUTIONS as readonly unknown[]).includes(p.resolution)
          ? (p.resolution as string)
          : fail(`transcode: resolution must be one of ${RESOLUTIONS.join(', ')}`);
    await sleepUnlessAborted(80, ctx.signal);
    const rendition = { resolution, sizeBytes: Math.round(recording.sizeBytes * (format === 'mp3' ? 0.1 : 0.6)) };
    if (!(await this.library.addRendition(recording.recordingId, format, rendition))) fail(`transcode: recording ${recording.recordingId} was removed`);
    this.logger.log(`transcode ${ctx.taskId}: ${recording.recordingId} -> ${format} ${resolution}`);
    await this.events.publish('media.transcoded', { meetingId: recording.meetingId, recordingId: recording.recordingId, format, resolution });
    return { recordingId: recording.recordingId, format, ...rendition };
  }

  @OnTask('media_cleanup', { timeoutMs: 60_000 })
  async cleanup(_payload: unknown, ctx: DispatchHandlerContext) {
    const removed = await this.library.removeOlderThan(Date.now() - this.options.retentionMs);
    this.logger.log(`media_cleanup ${ctx.taskId}: ${removed.length} recording(s) past the retention removed`);
    if (removed.length > 0) await this.events.publish('media.cleanup_completed', { removed });
    return { removed };
  }
}
