import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one logger. Service name and level come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL (set by CDK).
 * Handlers add correlation keys (`logger.appendKeys({ vpcId, accountId })`); never log credentials or task tokens.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'spokelink' });
