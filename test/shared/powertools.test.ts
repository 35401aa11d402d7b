import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { VpcBusyError } from '#shared/errors';
import { logger } from '#shared/logger';
import { lambdaHandler, publishHeadroom, STEP_METRICS } from '#shared/powertools';

// Every Lambda entry goes through lambdaHandler: the Lambda context on log lines, keys reset after each invocation,
// and the step's outcome and duration as embedded metrics (EMF) flushed per invocation.

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [field: string]: unknown;
}

/** A Metrics instance that is enabled and writes its EMF lines to `lines`. */
function capturedMetrics(): { metrics: Metrics; lines: Emf[] } {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const metrics = new Metrics({ namespace: 'spokelink', serviceName: 'spokelink' });
  if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  const lines: Emf[] = [];
  const sink = new Writable({
    write: (chunk, _encoding, done) => {
      lines.push(JSON.parse(String(chunk)) as Emf);
      done();
    },
  });
  (metrics as unknown as { console: Console }).console = new Console({ stdout: sink, stderr: sink });
  return { metrics, lines };
}

const CONTEXT = {
  functionName: 'spokelink-routes',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:spokelink-routes',
  memoryLimitInMB: '256',
  functionVersion: '$LATEST',
};

const metricNames = (line: Emf) => line._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort();

describe('lambdaHandler', () => {
  const savedService = process.env.POWERTOOLS_SERVICE_NAME;
  beforeAll(() => {
    process.env.POWERTOOLS_SERVICE_NAME = 'spokelink';
  });
  afterAll(() => {
    if (savedService === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
    else process.env.POWERTOOLS_SERVICE_NAME = savedService;
  });

  it('flushes the outcome and duration of a step by function and action', async () => {
    const { metrics, lines } = capturedMetrics();
    let clock = 1_000;
    const handler = lambdaHandler(
      'routes',
      async (input: unknown) => {
        clock += 250;
        return { echoed: input };
      },
      { metrics, now: () => clock },
    );

    await expect(handler({ action: 'prune' }, CONTEXT)).resolves.toEqual({ echoed: { action: 'prune' } });

    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(metricNames(line)).toEqual([STEP_METRICS.duration, STEP_METRICS.succeeded].sort());
    expect(line._aws.CloudWatchMetrics[0]!.Namespace).toBe('spokelink');
    expect(line).toMatchObject({ function: 'routes', action: 'prune', StepSucceeded: 1, StepDuration: 250 });
  });

  it('counts a failure, names its error, and lets the error reach Step Functions unchanged', async () => {
    const { metrics, lines } = capturedMetrics();
    const handler = lambdaHandler(
      'lease',
      async () => {
        throw new VpcBusyError('another execution holds the lease');
      },
      { metrics },
    );

    const error = await handler({ action: 'acquire' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VpcBusyError);
    expect((error as Error).name).toBe('VpcBusyError');

    expect(lines).toHaveLength(1);
    expect(metricNames(lines[0]!)).toEqual([STEP_METRICS.duration, STEP_METRICS.failed].sort());
    // No context (a direct call): the function's folder name stands in.
    expect(lines[0]).toMatchObject({ function: 'lease', action: 'acquire', StepFailed: 1, error: 'VpcBusyError' });
  });

  it('names an untrusted or missing action "default", never echoing it as a dimension', async () => {
    const { metrics, lines } = capturedMetrics();
    const handler = lambdaHandler('zones', async () => ({}), { metrics });
    await handler({ action: 'X'.repeat(500) }, CONTEXT);
    await handler({ plan: {} }, CONTEXT);
    expect(lines.map((l) => l.action)).toEqual(['default', 'default']);
  });

  it('adds the Lambda context to the logger and resets the keys a handler appended, after success and failure', async () => {
    const { metrics } = capturedMetrics();
    const addContext = jest.spyOn(logger, 'addContext');
    const resetKeys = jest.spyOn(logger, 'resetKeys');
    const order: string[] = [];
    resetKeys.mockImplementation(function (this: typeof logger) {
      order.push('reset');
    });
    try {
      const handler = lambdaHandler(
        'routes',
        async (input: unknown) => {
          order.push('handler');
          if ((input as { fail?: boolean }).fail) throw new VpcBusyError('busy');
          return {};
        },
        { metrics },
      );
      await handler({}, CONTEXT);
      await handler({ fail: true }, CONTEXT).catch(() => undefined);
      expect(addContext).toHaveBeenCalledWith(CONTEXT);
      expect(order).toEqual(['handler', 'reset', 'handler', 'reset']);
    } finally {
      addContext.mockRestore();
      resetKeys.mockRestore();
    }
  });
});

describe('publishHeadroom', () => {
  it('flushes the headroom figures as one EMF line in percent, with the service dimension only', () => {
    const { metrics, lines } = capturedMetrics();
    publishHeadroom(metrics, [
      { metric: 'HeadroomTgwAttachments', percent: 97 },
      { metric: 'HeadroomEndpointRules', percent: 8 },
    ]);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line!._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'spokelink',
      Dimensions: [['service']],
      Metrics: [
        { Name: 'HeadroomTgwAttachments', Unit: 'Percent' },
        { Name: 'HeadroomEndpointRules', Unit: 'Percent' },
      ],
    });
    expect(line).toMatchObject({ HeadroomTgwAttachments: 97, HeadroomEndpointRules: 8, service: 'spokelink' });
  });
});
