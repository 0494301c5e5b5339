import type { z } from 'zod';
import type { Channel } from './channels';
import { ChannelEvent, EVENT_SCHEMAS, EventData, EventType, ParsedTaskPayload, TASK_SCHEMAS, TaskResult, TaskType } from './registry';

/**
 * A message that breaks its contract: `subject` names the message, `issues` each bad field
 * (`path: problem`). Not retryable (`retryable: false`, which @meeting/queue honours like its
 * NonRetryableError): a task handler that lets it through sends the task to the dead-letter queue
 * at once, since a bad payload does not get better on retry.
 */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  readonly retryable = false;

  constructor(
    readonly subject: string,
    readonly issues: string[],
  ) {
    super(`${subject}: ${issues.join('; ')}`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, subject: string, root: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ContractError(
    subject,
    result.error.issues.map((issue) => `${[root, ...issue.path.map(String)].join('.')}: ${issue.message}`),
  );
}

/** True when `type` is one of the channel's event types. */
export function isEventType<C extends Channel>(channel: C, type: string): type is EventType<C> {
  return Object.prototype.hasOwnProperty.call(EVENT_SCHEMAS[channel], type);
}

function eventSchema(channel: Channel, type: string): z.ZodType {
  if (!Object.prototype.hasOwnProperty.call(EVENT_SCHEMAS, channel)) throw new ContractError(`channel ${channel}`, ['not a channel of the platform']);
  if (!isEventType(channel, type)) throw new ContractError(`${channel} ${type}`, [`not an event type of ${channel}`]);
  return (EVENT_SCHEMAS[channel] as Record<string, z.ZodType>)[type];
}

/**
 * The data of an event, checked against its contract (unknown keys are dropped).
 * Producers check before publishing, consumers on receipt.
 * @throws ContractError naming the channel, the type and every bad field
 */
export function parseEvent<C extends Channel, T extends EventType<C>>(channel: C, type: T, data: unknown): EventData<C, T> {
  return parse(eventSchema(channel, type), data, `${channel} ${type}`, 'data') as EventData<C, T>;
}

/**
 * A received event as the channel's discriminated union, or `undefined` when its type is not one
 * of the channel's (a newer producer: consumers skip it).
 * @throws ContractError when the type is known and the data breaks its contract
 */
export function readEvent<C extends Channel>(channel: C, event: { type: string; data: unknown }): ChannelEvent<C> | undefined {
  if (!isEventType(channel, event.type)) return undefined;
  return { type: event.type, data: parseEvent(channel, event.type, event.data) } as ChannelEvent<C>;
}

function taskSchemas(type: TaskType): { payload: z.ZodType; result: z.ZodType } {
  if (!Object.prototype.hasOwnProperty.call(TASK_SCHEMAS, type)) throw new ContractError(`task ${String(type)}`, ['not a task type of the platform']);
  return TASK_SCHEMAS[type];
}

/**
 * A task's payload checked against its contract (unknown keys dropped). Handlers call it first: a
 * bad payload will not get better on retry.
 * @throws ContractError naming the task type and every bad field
 */
export function parseTaskPayload<T extends TaskType>(type: T, payload: unknown): ParsedTaskPayload<T> {
  return parse(taskSchemas(type).payload, payload, type, 'payload') as ParsedTaskPayload<T>;
}

/**
 * A task's result checked against its contract: handlers before returning it, dispatchers when it
 * arrives.
 * @throws ContractError naming the task type and every bad field
 */
export function parseTaskResult<T extends TaskType>(type: T, result: unknown): TaskResult<T> {
  return parse(taskSchemas(type).result, result, type, 'result') as TaskResult<T>;
}
