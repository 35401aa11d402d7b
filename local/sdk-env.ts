/**
 * The AWS SDK's environment (region, credentials, profile, the registry's endpoint) that a local runner sets for the
 * handlers and restores afterwards: the local hub and the moto runner (test-moto/onboarding/run.ts).
 */
export const SDK_ENV_KEYS = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_ENDPOINT_URL_DYNAMODB',
] as const;
