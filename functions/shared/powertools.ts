import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import { logger } from './logger';

/**
 * Every Lambda entry is wrapped the way Powertools users expect (https://docs.powertools.aws.dev/lambda/typescript/):
 * - `injectLambdaContext` adds the Lambda context to every log line and resets the keys a handler appended after each
 *   invocation (no manual `logger.resetKeys()`);
 * - `stepMetrics` flushes, after each invocation, the step's outcome and duration as CloudWatch embedded metrics (EMF,
 *   a log line CloudWatch turns into metrics: no API call, no permission): `StepSucceeded` or `StepFailed` (count) and
 *   `StepDuration` (milliseconds), by `function` and `action`; a failure's error name is in the line's metadata.
 *   The namespace is `spokelink`; Powertools adds the `service` dimension (POWERTOOLS_SERVICE_NAME, the hub's prefix).
 * Tracing is not wired: Powertools Tracer wraps the X-Ray SDK, which AWS has put in maintenance (docs/deploy.md).
 */

/** The CloudWatch namespace of spokelink's metrics. */
export const METRICS_NAMESPACE = 'spokelink';

/** The one metrics instance (POWERTOOLS_METRICS_DISABLED=true turns the output off, as the tests do). */
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'spokelink',
  logger,
});

/** The metric names, for the dashboards that read them. */
export const STEP_METRICS = {
  succeeded: 'StepSucceeded',
  failed: 'StepFailed',
  duration: 'StepDuration',
} as const;

/**
 * The hub's headroom (functions/shared/headroom.ts) as one EMF line with only the `service` dimension (what the hub
 * stack's capacity alarms read): `Headroom*`, in percent of the quota left on its tightest resource. Added and
 * flushed in one synchronous block, like the step metrics, so no step's `function`/`action` dimensions mix in.
 */
export function publishHeadroom(into: Metrics, figures: readonly { metric: string; percent: number }[]): void {
  if (figures.length === 0) return;
  for (const { metric, percent } of figures) into.addMetric(metric, MetricUnit.Percent, percent);
  into.publishStoredMetrics();
}

/** The action of a step's input (`{ action }`), or `default` for a function's original, action-less input. */
function actionOf(event: unknown): string {
  const action = event && typeof event === 'object' ? (event as { action?: unknown }).action : undefined;
  return typeof action === 'string' && /^[a-z][a-z-]{0,40}$/.test(action) ? action : 'default';
}

/** The function's short name: the physical name without the hub's prefix (`spokelink-routes` -> `routes`). */
function functionOf(functionName: string | undefined, fallback: string): string {
  const prefix = `${process.env.POWERTOOLS_SERVICE_NAME ?? ''}-`;
  if (!functionName) return fallback;
  return functionName.startsWith(prefix) ? functionName.slice(prefix.length) : functionName;
}

/**
 * Outcome and duration of one invocation, added and flushed in one synchronous block: the local runner runs
 * invocations of one module concurrently, and dimensions added before an `await` would mix with another's.
 */
export function stepMetrics(into: Metrics, name: string, now: () => number = Date.now): MiddlewareObj {
  const started = new WeakMap<object, number>();
  const record = (request: { event: unknown; context: { functionName?: string }; error?: unknown }, ok: boolean) => {
    into.addDimensions({ function: functionOf(request.context?.functionName, name), action: actionOf(request.event) });
    into.addMetric(ok ? STEP_METRICS.succeeded : STEP_METRICS.failed, MetricUnit.Count, 1);
    into.addMetric(STEP_METRICS.duration, MetricUnit.Milliseconds, now() - (started.get(request) ?? now()));
    if (!ok) into.addMetadata('error', (request.error as Error | undefined)?.name ?? 'Error');
    into.publishStoredMetrics();
  };
  return {
    before: (request) => {
      started.set(request, now());
    },
    after: (request) => record(request, true),
    onError: (request) => record(request, false),
  };
}

/**
 * A Lambda entry: `lambdaHandler('routes', async (input) => ...)`. `name` is the function's folder (the dimension when
 * the context has no function name, as in unit tests). The handler's errors reach Lambda unchanged (their class name
 * is what the ASL retries or catches).
 */
export function lambdaHandler<R>(
  name: string,
  fn: (event: unknown) => Promise<R>,
  options: { metrics?: Metrics; now?: () => number } = {},
) {
  const into = options.metrics ?? metrics;
  // No early timeout: the Lambda's own timeout decides (Sandbox.Timedout, which the ASL retries).
  const wrapped = middy(fn, { timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(stepMetrics(into, name, options.now));
  // Lambda passes a context; middy stands in an empty one when none is given (a direct call in a test).
  return wrapped as unknown as (event: unknown, context?: object) => Promise<R>;
}
