import type { z } from 'zod';
import { Channel, CHANNELS, TASK_QUEUES, TaskQueueName } from './channels';
import { MEDIA_EVENT_SCHEMAS } from './events/media-events';
import { MEETING_EVENT_SCHEMAS } from './events/meeting-events';
import { SIGNALING_EVENT_SCHEMAS } from './events/signaling-events';
import { AI_TASK_SCHEMAS } from './tasks/ai-tasks';
import { MEDIA_TASK_SCHEMAS } from './tasks/media-tasks';

/** The event types of every channel with the schema of their `data`. */
export const EVENT_SCHEMAS = {
  [CHANNELS.meeting]: MEETING_EVENT_SCHEMAS,
  [CHANNELS.media]: MEDIA_EVENT_SCHEMAS,
  [CHANNELS.signaling]: SIGNALING_EVENT_SCHEMAS,
} as const;

type EventSchemas = typeof EVENT_SCHEMAS;

/** The event types of a channel. */
export type EventType<C extends Channel> = keyof EventSchemas[C] & string;
/** The `data` of an event type, as validated (what a consumer reads and a producer sends). */
export type EventData<C extends Channel, T extends EventType<C>> = EventSchemas[C][T] extends z.ZodType ? z.output<EventSchemas[C][T]> : never;
/** One event of a channel, discriminated by `type`. */
export type ChannelEvent<C extends Channel> = { [T in EventType<C>]: { type: T; data: EventData<C, T> } }[EventType<C>];

/** Types of `meeting_events`. */
export type MeetingEventType = EventType<typeof CHANNELS.meeting>;
/** The data of a `meeting_events` event. */
export type MeetingEventData<T extends MeetingEventType> = EventData<typeof CHANNELS.meeting, T>;
/** Types of `media_events`. */
export type MediaEventType = EventType<typeof CHANNELS.media>;
/** The data of a `media_events` event. */
export type MediaEventData<T extends MediaEventType> = EventData<typeof CHANNELS.media, T>;
/** Types of `signaling_events`. */
export type SignalingEventType = EventType<typeof CHANNELS.signaling>;
/** The data of a `signaling_events` event. */
export type SignalingEventData<T extends SignalingEventType> = EventData<typeof CHANNELS.signaling, T>;

/** Every task type with its payload and result schemas. */
export const TASK_SCHEMAS = { ...AI_TASK_SCHEMAS, ...MEDIA_TASK_SCHEMAS } as const;

type TaskSchemas = typeof TASK_SCHEMAS;

/** A task type (`speech_recognition`, `recording_process`, ...). */
export type TaskType = keyof TaskSchemas;
/** What a producer dispatches for a task type (optional fields may be left out). */
export type TaskPayload<T extends TaskType> = z.input<TaskSchemas[T]['payload']>;
/** The payload as the handler reads it after `parseTaskPayload`. */
export type ParsedTaskPayload<T extends TaskType> = z.output<TaskSchemas[T]['payload']>;
/** The result a handler returns for a task type (what `onCompleted` / `dispatchAndWait` get). */
export type TaskResult<T extends TaskType> = z.output<TaskSchemas[T]['result']>;

/** The queue that consumes each task type (routes in the dispatching service's config.yaml name it). */
export const TASK_QUEUE_OF: Readonly<Record<TaskType, TaskQueueName>> = {
  ...(Object.fromEntries(Object.keys(AI_TASK_SCHEMAS).map((t) => [t, TASK_QUEUES.ai])) as Record<keyof typeof AI_TASK_SCHEMAS, TaskQueueName>),
  ...(Object.fromEntries(Object.keys(MEDIA_TASK_SCHEMAS).map((t) => [t, TASK_QUEUES.media])) as Record<keyof typeof MEDIA_TASK_SCHEMAS, TaskQueueName>),
};
