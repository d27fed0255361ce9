import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { parseCareTime } from '@carepath/domain';
import { CODE_ID } from '@carepath/runtime';
import {
  getMetadataStorage,
  IsOptional,
  Matches,
  type MetadataStorage,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';

/** ICD-10 (e.g. I21.4, S72.001). */
export const ICD10 = /^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$/;
/** Procedure and therapy codes (ICD-9-CM-3 such as 81.54, or local codes). */
export const CLINICAL_CODE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,31}$/;
/** GB/T 2260 administrative division: 6-digit district/county code, optionally a 9-digit township code. */
export const REGION_CODE = /^\d{6}(\d{3})?$/;
/**
 * Names and labels are stored and shown as given: no control, format (zero-width, direction) or unassigned
 * characters, lone surrogates, line or paragraph separators, or no-break spaces that make two names look alike.
 */
export const PLAIN_TEXT = /^[^\p{C}\p{Zl}\p{Zp}\u00a0]+$/u;

export function CodeId(description: string, options: { optional?: boolean; example?: string } = {}) {
  return applyDecorators(
    ApiProperty({
      description,
      pattern: CODE_ID.source,
      required: !options.optional,
      example: options.example,
    }),
    ...(options.optional ? [IsOptional()] : []),
    Matches(CODE_ID, { message: '$property must be a code of 1-64 letters, digits, . _ - (no spaces)' }),
  );
}

export function Pattern(
  regex: RegExp,
  description: string,
  example: string,
  options: ApiPropertyOptions = {},
) {
  return applyDecorators(
    ApiProperty({ description, pattern: regex.source, example, ...options }),
    Matches(regex, { message: `$property must match ${regex.source} (${description})` }),
  );
}

/**
 * Care time: an RFC 3339 date-time with an explicit offset, read by the one grammar in the domain
 * (docs/robustness.md), because ISO 8601 admits forms `Date.parse` cannot read and a bare local time is ambiguous.
 * The plausible window (not before CARE_TIME_NOT_BEFORE, not beyond the future skew) is checked where the clock is.
 */
export function OccurredAt(
  description = 'When it happened in care (RFC 3339 with offset)',
  options: { optional?: boolean } = {},
) {
  return applyDecorators(
    ApiProperty({
      description,
      example: '2026-03-03T10:00:00+08:00',
      format: 'date-time',
      required: !options.optional,
    }),
    ...(options.optional ? [IsOptional()] : []),
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name: 'careTime',
        target: target.constructor,
        propertyName: String(propertyName),
        validator: {
          validate: (value: unknown) => parseCareTime(value) !== null,
          defaultMessage: (args?: ValidationArguments) =>
            `${args?.property ?? 'value'} must be an RFC 3339 date-time with an offset, such as 2026-03-03T10:00:00+08:00`,
        },
      }),
  );
}

/**
 * Events hold a pseudonymous id only (docs/domain.md, "Privacy"): refuse what looks like a resident ID number
 * or a mainland mobile number, the two identifiers most often pasted by mistake.
 */
export function PseudonymousId() {
  return applyDecorators(
    ApiProperty({
      description: 'Pseudonymous patient id (never a name, phone or ID number)',
      example: 'pt-7f3a9c21',
    }),
    Matches(/^[A-Za-z0-9_-]{8,64}$/, { message: '$property must be 8-64 letters, digits, _ or -' }),
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name: 'notDirectIdentifier',
        target: target.constructor,
        propertyName: String(propertyName),
        validator: {
          validate: (value: unknown) =>
            typeof value !== 'string' || !(/^\d{17}[\dXx]$/.test(value) || /^1[3-9]\d{9}$/.test(value)),
          defaultMessage: (args?: ValidationArguments) =>
            `${args?.property ?? 'value'} looks like an ID-card or phone number: send the pseudonymous id`,
        },
      }),
  );
}

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];
const remembering = new WeakSet<object>();
type RuleStorage = Pick<
  MetadataStorage,
  'getTargetValidationMetadatas' | 'groupByPropertyName' | 'addValidationMetadata' | 'addConstraintMetadata'
>;

/**
 * class-validator looks a DTO's rules up again for every object it validates: it walks every decorated class of
 * the app to find the DTO's ancestors, then filters and groups their rules, about a fifth of the validation pipe's
 * CPU on a write. The rules are fixed once the classes are declared, so each lookup without validation groups
 * (the only kind the API makes) is kept per class, and forgotten whenever a rule is added. The cached lists are
 * only read by class-validator, never changed.
 */
export function rememberValidationRules(storage: RuleStorage = getMetadataStorage()): void {
  // Every app a process builds (the e2e specs build many) shares class-validator's one storage: wrapped once.
  if (remembering.has(storage)) return;
  remembering.add(storage);
  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const addRule = storage.addValidationMetadata.bind(storage);
  const addConstraint = storage.addConstraintMetadata.bind(storage);
  let rules = new WeakMap<object, Map<string, ValidationMetadata[]>>();
  let grouped = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();
  const forget = () => {
    rules = new WeakMap();
    grouped = new WeakMap();
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (groups !== undefined && groups.length > 0)
      return lookUp(target, schema, always, strictGroups, groups);
    const key = `${String(always)} ${String(strictGroups)} ${schema}`;
    let byOptions = rules.get(target);
    if (!byOptions) rules.set(target, (byOptions = new Map<string, ValidationMetadata[]>()));
    let found = byOptions.get(key);
    if (!found) byOptions.set(key, (found = lookUp(target, schema, always, strictGroups, groups)));
    return found;
  };
  storage.groupByPropertyName = (metadata) => {
    let byName = grouped.get(metadata);
    if (!byName) grouped.set(metadata, (byName = group(metadata)));
    return byName;
  };
  storage.addValidationMetadata = (metadata) => {
    forget();
    addRule(metadata);
  };
  storage.addConstraintMetadata = (metadata) => {
    forget();
    addConstraint(metadata);
  };
}
