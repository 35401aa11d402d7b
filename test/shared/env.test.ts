import { readFileSync } from 'node:fs';
import { writeConfigFile } from '#local/config-file';
import {
  BUNDLED_CONFIG_PATH,
  configDigest,
  configEnvironment,
  configText,
  HANDLER_ENV_KEYS,
  handlerEnvironment,
  requireEnv,
} from '#shared/env';

describe('the handler environment, defined once', () => {
  it('sets every variable of the one list when every value is given', () => {
    const env = handlerEnvironment({
      config: { prefix: 'p' },
      configFile: BUNDLED_CONFIG_PATH,
      registryTableName: 't',
      serviceName: 'p',
      logLevel: 'INFO',
      onboardStateMachineArn: 'arn:on',
      offboardStateMachineArn: 'arn:off',
      approvalTopicArn: 'arn:approval',
      failureTopicArn: 'arn:failure',
    });
    expect(Object.keys(env).sort()).toEqual([...HANDLER_ENV_KEYS].sort());
    // The configuration itself is not in the environment (4 KB for all variables): its file and digest are.
    expect(env.SPOKELINK_CONFIG_FILE).toBe('/var/task/spokelink-config.json');
    expect(env.SPOKELINK_CONFIG_SHA256).toBe(configDigest('{"prefix":"p"}\n'));
    expect(JSON.stringify(env)).not.toContain('"prefix"');
    expect(env.ONBOARD_STATE_MACHINE_ARN).toBe('arn:on');
  });

  it('leaves out the values a runner does not have instead of setting them empty', () => {
    const env = handlerEnvironment({
      config: {},
      configFile: '/tmp/c.json',
      registryTableName: 't',
      serviceName: 'p',
      logLevel: 'SILENT',
    });
    expect(Object.keys(env).sort()).toEqual(
      [
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_SERVICE_NAME',
        'REGISTRY_TABLE_NAME',
        'SPOKELINK_CONFIG_FILE',
        'SPOKELINK_CONFIG_SHA256',
      ].sort(),
    );
    expect(() => requireEnv('FAILURE_TOPIC_ARN', env)).toThrow('environment variable FAILURE_TOPIC_ARN is not set');
  });

  it('writes the local configuration file with the text and digest a deployment bundles', () => {
    const config = { prefix: 'local', version: 3 };
    const file = writeConfigFile(config);
    expect(readFileSync(file, 'utf8')).toBe(configText(config));
    expect(configEnvironment(config, file).SPOKELINK_CONFIG_SHA256).toBe(configDigest(readFileSync(file, 'utf8')));
    // The same configuration is the same file; another one is another file (a redeploy, never an overwrite).
    expect(writeConfigFile({ ...config })).toBe(file);
    expect(writeConfigFile({ ...config, prefix: 'other' })).not.toBe(file);
  });
});
