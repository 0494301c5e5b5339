/**
 * @meeting/contracts: what the services say to each other, in one place. Channel and queue names,
 * event types with the schema of their data, task types with payload and result schemas, and the
 * validators producers and consumers both call (zod; no NestJS, no Redis).
 */
export { CHANNELS, TASK_QUEUES } from './channels';
export type { Channel, TaskQueueName } from './channels';
export { ID_PATTERN, TASK_ID_PATTERN } from './fields';
export { MEETING_EVENT_SCHEMAS } from './events/meeting-events';
export { MEDIA_EVENT_SCHEMAS } from './events/media-events';
export { SIGNALING_EVENT_SCHEMAS } from './events/signaling-events';
export { AI_TASK_SCHEMAS, DENOISING_LEVELS, ENHANCEMENT_RESOLUTIONS, MAX_AUDIO_DURATION_MS } from './tasks/ai-tasks';
export { MEDIA_TASK_SCHEMAS, RECORDING_FORMATS, RENDITION_RESOLUTIONS } from './tasks/media-tasks';
export { EVENT_SCHEMAS, TASK_QUEUE_OF, TASK_SCHEMAS } from './registry';
export type {
  ChannelEvent,
  EventData,
  EventType,
  MediaEventData,
  MediaEventType,
  MeetingEventData,
  MeetingEventType,
  ParsedTaskPayload,
  SignalingEventData,
  SignalingEventType,
  TaskPayload,
  TaskResult,
  TaskType,
} from './registry';
export { ContractError, isEventType, parseEvent, parseTaskPayload, parseTaskResult, readEvent } from './validate';
export {
  DEVELOPMENT_JOIN_TOKEN_SECRET,
  JOIN_TOKEN_MAX_TTL_MS,
  JoinTokenError,
  joinTokenSecretFromEnv,
  signJoinToken,
  verifyJoinToken,
} from './signaling/join-token';
export type { JoinGrant } from './signaling/join-token';
export { CLIENT_FRAME_SCHEMA, MAX_SIGNAL_FRAME_BYTES, SIGNAL_CLOSE_CODES, SIGNAL_ERRORS, readClientFrame } from './signaling/frames';
export type { ClientFrame, PeerInfo, ServerFrame, SignalRefusal } from './signaling/frames';
export { SignalingClient, SignalingConnectError } from './signaling/signaling-client';
export type { SignalingClose } from './signaling/signaling-client';
