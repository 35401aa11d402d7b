import { HANDLER_ENV_KEYS, handlerEnvironment, requireEnv } from '#shared/env';

describe('the handler environment, defined once', () => {
  it('sets every variable of the one list when every value is given', () => {
    const env = handlerEnvironment({
      config: { prefix: 'p' },
      registryTableName: 't',
      serviceName: 'p',
      logLevel: 'INFO',
      onboardStateMachineArn: 'arn:on',
      offboardStateMachineArn: 'arn:off',
      approvalTopicArn: 'arn:approval',
      failureTopicArn: 'arn:failure',
    });
    expect(Object.keys(env).sort()).toEqual([...HANDLER_ENV_KEYS].sort());
    expect(JSON.parse(env.SPOKELINK_CONFIG!)).toEqual({ prefix: 'p' });
    expect(env.ONBOARD_STATE_MACHINE_ARN).toBe('arn:on');
  });

  it('leaves out the values a runner does not have instead of setting them empty', () => {
    const env = handlerEnvironment({ config: {}, registryTableName: 't', serviceName: 'p', logLevel: 'SILENT' });
    expect(Object.keys(env).sort()).toEqual(
      ['POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME', 'REGISTRY_TABLE_NAME', 'SPOKELINK_CONFIG'].sort(),
    );
    expect(() => requireEnv('FAILURE_TOPIC_ARN', env)).toThrow('environment variable FAILURE_TOPIC_ARN is not set');
  });
});
