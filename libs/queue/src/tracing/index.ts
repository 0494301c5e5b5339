export { activeTraceCarrier, contextFromCarrier, tracerRegistered } from './trace-context';
export type { TraceCarrier } from './trace-context';
