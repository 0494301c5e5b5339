import { ID_PATTERN } from '@meeting/contracts';
import { Transform } from 'class-transformer';
import { isISO8601, Matches, ValidateBy, ValidationArguments } from 'class-validator';

/** Trims a string value (other values are left for the validators to refuse). */
export const Trimmed = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** An id of @meeting/contracts (`ID_PATTERN`), with a message naming the field. */
export const IsPlatformId = () => Matches(ID_PATTERN, { message: ({ property }) => `${property} must be 1..64 characters from [A-Za-z0-9_.-]` });

/** Furthest a scheduled time may lie ahead (a year). */
const MAX_AHEAD_MS = 365 * 86_400_000;

/** An ISO 8601 time at most a year ahead, with a message naming the field. */
export const IsTimeWithinAYear = () =>
  ValidateBy({
    name: 'isTimeWithinAYear',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isISO8601(value) && Date.parse(value) <= Date.now() + MAX_AHEAD_MS,
      defaultMessage: (args?: ValidationArguments) => `${args?.property ?? 'the value'} must be an ISO 8601 time within a year`,
    },
  });
