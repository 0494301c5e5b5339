import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { isContainer } from '../body/json-body';

/**
 * Keys that class-transformer skips and Nest's ValidationPipe deletes, at every level, before
 * class-validator sees the object: left alone, `{"title":"a","__proto__":{}}` passes a DTO with
 * forbidNonWhitelisted as if the key were not there.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

/**
 * The paths (property names from the top) of every own reserved key in `value`, shallowest first,
 * found by reading own enumerable keys only (nothing assigned or merged, so no prototype is touched)
 * and without recursion. The value under a reserved key is not walked.
 */
export function reservedKeyPaths(value: unknown): string[][] {
  const found: string[][] = [];
  if (!isContainer(value)) return found;
  const pending: Array<[object, string[]]> = [[value, []]];
  for (let at = 0; at < pending.length; at++) {
    const [node, path] = pending[at];
    for (const [key, child] of Object.entries(node)) {
      if (RESERVED_KEYS.has(key)) found.push([...path, key]);
      else if (isContainer(child)) pending.push([child, [...path, key]]);
    }
  }
  return found;
}

/** The class-validator error of an unknown property at `path`, nested as class-validator nests children (so it is worded like the pipe's other unknown-property errors). */
function unknownPropertyError(path: string[]): ValidationError {
  const [property, ...rest] = path;
  if (rest.length === 0) return { property, constraints: { whitelistValidation: `property ${property} should not exist` }, children: [] };
  return { property, children: [unknownPropertyError(rest)] };
}

/**
 * The platform's global ValidationPipe: whitelist, unknown keys refused (400), transform. A
 * `__proto__` or `constructor` key, at any level of a validated argument, is refused as an unknown
 * property (`property __proto__ should not exist`, `items.0.property constructor should not
 * exist`) before class-transformer could drop it silently.
 */
export class PlatformValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.metatype && this.toValidate(metadata)) {
      const reserved = reservedKeyPaths(value);
      if (reserved.length > 0) throw await this.exceptionFactory(reserved.map(unknownPropertyError));
    }
    return super.transform(value, metadata);
  }
}
