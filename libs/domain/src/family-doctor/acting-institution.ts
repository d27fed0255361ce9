import { DomainError } from '../shared/domain-error';
import type { CommandMetadata } from '../shared/event';

/** The acting institution (metadata.institutionId) must be one of those responsible for the step. */
export function requireActingInstitution(
  metadata: CommandMetadata,
  responsible: readonly string[],
  message: string,
): void {
  if (!responsible.includes(metadata.institutionId)) {
    throw new DomainError('ACTING_INSTITUTION_MISMATCH', message, {
      actingInstitutionId: metadata.institutionId,
    });
  }
}
