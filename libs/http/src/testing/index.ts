/**
 * @meeting/http/testing: helpers for the tests of Nest HTTP applications. For tests only (specs,
 * test/ and testing/ folders): lint refuses it in runtime code (eslint.config.mjs, TEST_KITS).
 */
export { RecordingLogger } from './recording-logger';
export type { RecordedLine } from './recording-logger';
