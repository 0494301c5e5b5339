export * from './queue-metrics';
export { LabelGuard } from './label-guard';
