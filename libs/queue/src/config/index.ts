export * from './config.types';
export * from './config-errors';
export * from './config-loader';
export { CONFIG_SCHEMA } from './config-schema';
export { validateConfig } from './validate-config';
export { configJsonSchema } from './config-json-schema';
export { EnvValue, interpolate } from './interpolate';
export { maskConfig } from './mask-config';
export { isResolvedConfig } from './resolved-config';
