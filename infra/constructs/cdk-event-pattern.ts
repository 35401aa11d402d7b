import type { EventPattern as CdkEventPattern } from 'aws-cdk-lib/aws-events';
import type { EventPattern } from '../event-patterns';

/**
 * The CDK shape of a plain pattern: `detail-type` becomes `detailType` (CDK renders it back as `detail-type`),
 * everything else passes through unchanged, so the template holds exactly the pattern of `event-patterns.ts`.
 */
export function toCdkEventPattern(pattern: EventPattern): CdkEventPattern {
  const { 'detail-type': detailType, ...rest } = pattern as Record<string, unknown>;
  return { ...rest, ...(detailType ? { detailType } : {}) } as CdkEventPattern;
}
