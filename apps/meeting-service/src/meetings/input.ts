import { BadRequestException } from '@nestjs/common';

/** Plain request-body checks (no class-validator in this repository): 400 with a message naming the field. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('the request body must be a JSON object (Content-Type: application/json)');
  }
  return body as Record<string, unknown>;
}

/** A string field of 1..`max` characters (trimmed); `undefined` when optional and absent. */
export function stringField(body: Record<string, unknown>, key: string, options: { optional?: boolean; max?: number } = {}): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    if (options.optional) return undefined;
    throw new BadRequestException(`${key} is required`);
  }
  const max = options.max ?? 200;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new BadRequestException(`${key} must be a non-empty string of at most ${max} characters`);
  }
  return value.trim();
}

/** An id: 1..64 characters from [A-Za-z0-9_.-]. */
export function idField(body: Record<string, unknown>, key: string, options: { optional?: boolean } = {}): string | undefined {
  const value = stringField(body, key, { ...options, max: 64 });
  if (value !== undefined && !/^[A-Za-z0-9_.-]+$/.test(value)) throw new BadRequestException(`${key} must use only letters, digits, "_", "." and "-"`);
  return value;
}

/** A positive integer up to `max`; `undefined` when absent. */
export function optionalPositiveInt(body: Record<string, unknown>, key: string, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new BadRequestException(`${key} must be an integer between 1 and ${max}`);
  }
  return value;
}

/** An ISO 8601 time within a year from now (`undefined` when absent). */
export function optionalFutureTime(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms) || ms > Date.now() + 365 * 86_400_000) throw new BadRequestException(`${key} must be an ISO 8601 time within a year`);
  return new Date(ms).toISOString();
}

/** A non-negative integer up to `max`; `undefined` when absent. */
export function optionalNonNegativeInt(body: Record<string, unknown>, key: string, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw new BadRequestException(`${key} must be an integer between 0 and ${max}`);
  return value;
}
