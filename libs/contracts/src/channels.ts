/** The event channels of the platform (each service publishes on its own). */
export const CHANNELS = {
  /** meeting-service: meeting lifecycle and participants (`MeetingEventType`). */
  meeting: 'meeting_events',
  /** media-service: recordings and renditions (`MediaEventType`). */
  media: 'media_events',
  /** signaling-service: rooms and presence (`SignalingEventType`). */
  signaling: 'signaling_events',
} as const;

/** One of `CHANNELS`. */
export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/** The task queues other services dispatch to (routes in each service's config.yaml). */
export const TASK_QUEUES = {
  /** ai-service: speech_recognition, emotion_detection, audio_denoising, video_enhancement. */
  ai: 'ai_tasks',
  /** media-service: recording_process, transcode, media_cleanup. */
  media: 'media_tasks',
} as const;

/** One of `TASK_QUEUES`. */
export type TaskQueueName = (typeof TASK_QUEUES)[keyof typeof TASK_QUEUES];
