import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SimClock } from '#local/clock';
import { type LambdaOptions, LocalLambdas } from '#local/lambda';
import { LocalStepFunctions } from '#local/sfn';
import { twinPlugin } from '#twin/plugin';
import { Twin } from '#twin/twin';
import { fixtureState } from './fixtures/functions/state';

export const HUB = '111111111111';
export const REGION = 'us-east-1';
export const FUNCTIONS_ROLE = `arn:aws:iam::${HUB}:role/spokelink-functions`;
export const FIXTURES = join(__dirname, 'fixtures');

/** A local Step Functions with the fixture state machines and handlers, on a virtual clock. */
export function fixtureRunner(lambdaOptions: Partial<LambdaOptions> = {}) {
  fixtureState.reset();
  const clock = new SimClock('virtual', { now: Date.UTC(2026, 2, 1, 9, 0, 0) }).install();
  const twin = new Twin({ services: [] });
  const lambdas = new LocalLambdas({
    functionsDir: join(FIXTURES, 'functions'),
    region: REGION,
    accountId: HUB,
    ...lambdaOptions,
  });
  const sfn = new LocalStepFunctions({
    twin,
    lambdas,
    region: REGION,
    accountId: HUB,
    roleArn: `arn:aws:iam::${HUB}:role/spokelink-statemachine`,
  });
  sfn.attach();
  const substitutions = {
    ValidateFunctionArn: lambdas.arnOf('validate'),
    AttachFunctionArn: lambdas.arnOf('attach'),
    ZonesFunctionArn: lambdas.arnOf('zones'),
    NotifyFunctionArn: lambdas.arnOf('notify'),
  };
  const arns = sfn.registerDirectory(join(FIXTURES, 'statemachines'), 'spokelink', substitutions);
  const client = (arn = FUNCTIONS_ROLE) => {
    const { accessKeyId, secretAccessKey } = twin.credentialsFor(arn);
    const c = new SFNClient({ region: REGION, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    c.middlewareStack.use(twinPlugin(twin));
    return c;
  };
  const settle = () => clock.runUntil(() => sfn.quiescent());
  return { clock, twin, lambdas, sfn, arns, client, settle, substitutions, state: fixtureState };
}
