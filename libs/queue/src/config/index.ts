export * from './config.types';
export * from './config-errors';
export * from './config-loader';
export { CONFIG_SCHEMA, validateConfig } from './config-schema';
export { configJsonSchema } from './config-json-schema';
export { EnvValue, interpolate } from './interpolate';
export { maskConfig } from './mask-config';
export { isResolvedConfig } from './resolved-config';
