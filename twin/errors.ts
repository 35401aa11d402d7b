import type { ServiceName } from './types';

/**
 * An AWS error as the service would return it: wire code, HTTP status, message. The SDK plugin turns it into the
 * exception the real SDK client would throw for that response (modeled class where the service models it, the
 * service's base exception with `name` = code otherwise), so production error handling is what gets tested.
 */
export class TwinError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'TwinError';
  }
}

/** Throttling answers per service, as each documents them. */
export const THROTTLING: Record<ServiceName, { code: string; status: number; message: string }> = {
  // EC2: "RequestLimitExceeded" (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html);
  // the error codes page lists it with HTTP 503.
  ec2: { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' },
  // Route 53: HTTP 400 "Throttling" / "Rate exceeded" (Route 53 developer guide, API request throttling).
  route53: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  // Route 53 Profiles: ThrottlingException, HTTP 400 (API reference, Route 53 Profiles common errors).
  route53profiles: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  ram: { code: 'ThrottlingException', status: 429, message: 'Rate exceeded' },
  sts: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  organizations: { code: 'TooManyRequestsException', status: 400, message: 'Rate exceeded' },
  sfn: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  sns: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  // IAM: "Throttling" / "Rate exceeded" (HTTP 400), as the Query APIs answer (IAM API reference, common errors).
  iam: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
};

/** Errors used by every service module. */
export const errors = {
  throttled: (service: ServiceName) => {
    const t = THROTTLING[service];
    return new TwinError(t.code, t.message, t.status);
  },
  accessDenied: (service: ServiceName, action: string, principal: string, resource: string) => {
    const code =
      service === 'ec2' ? 'UnauthorizedOperation' : service === 'route53' ? 'AccessDenied' : 'AccessDeniedException';
    return new TwinError(
      code,
      `User: ${principal} is not authorized to perform: ${service}:${action} on resource: ${resource}`,
      403,
    );
  },
  missingParameter: (name: string) =>
    new TwinError('MissingParameter', `The request must contain the parameter ${name}`, 400),
  invalidParameter: (message: string) => new TwinError('InvalidParameterValue', message, 400),
  internal: (service: ServiceName) =>
    new TwinError(
      service === 'ec2'
        ? 'InternalError'
        : service === 'route53'
          ? 'InternalFailure'
          : service === 'route53profiles'
            ? 'InternalServiceErrorException'
            : 'InternalServerException',
      'An internal error has occurred',
      500,
    ),
  unavailable: (service: ServiceName) =>
    new TwinError(
      service === 'ec2' ? 'Unavailable' : 'ServiceUnavailable',
      'The service is unavailable. Please try again shortly.',
      503,
    ),
};
