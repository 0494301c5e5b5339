import { ID_PATTERN } from '@meeting/contracts';
import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';

/** Trims a string value (other values are left for the validators to refuse). */
export const Trimmed = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** An id of @meeting/contracts (`ID_PATTERN`), with a message naming the field. */
export const IsPlatformId = () => Matches(ID_PATTERN, { message: ({ property }) => `${property} must be 1..64 characters from [A-Za-z0-9_.-]` });
