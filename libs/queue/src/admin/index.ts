export * from './queue-admin';
export { escapeGlob, scanKeys } from './key-scan';
