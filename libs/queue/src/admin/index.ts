export * from './queue-admin';
export type { InFlightMessage, QueueLatency } from './queue-activity';
export type { PubSubChannelInfo, PubSubOverview } from './pubsub-channels';
export { escapeGlob, scanKeys } from './key-scan';
export type { QueueRateLimits, RateLimitInfo } from './rate-limits';
export type { QueueGroupInfo, QueueGroups } from './queue-groups';
