export * from './config.types';
export * from './config-errors';
export * from './config-loader';
export { CONFIG_SCHEMA, validateConfig } from './config-schema';
export { EnvValue, interpolate } from './interpolate';
export { maskConfig } from './mask-config';
export { expectation, validateAgainst } from './schema';
export type { Schema } from './schema';
export { isResolvedConfig } from './resolved-config';
