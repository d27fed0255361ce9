/*
 * Property options the response DTOs share. Spread first, then the field's own options: the document lists a
 * property's keys in the order given.
 */

export const UUID = { format: 'uuid' } as const;
export const DATE_TIME = { format: 'date-time' } as const;
/** A string that may be null. */
export const OR_NULL = { nullable: true, type: String } as const;
