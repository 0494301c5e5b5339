import type { TaskResult } from '@meeting/contracts';

/**
 * A processed recording: the result of `recording_process` (@meeting/contracts), renditions added
 * by `transcode` (the media files themselves are simulated); kept in the RecordingRepository.
 */
export type Recording = TaskResult<'recording_process'>;
/** A recording's or rendition's format (mp4, webm, mp3). */
export type RecordingFormat = Recording['format'];
/** One rendition made by `transcode`. */
export type Rendition = NonNullable<Recording['renditions'][RecordingFormat]>;
