import { SFNClient } from '@aws-sdk/client-sfn';
import {
  DEFAULT_RUN_DIR,
  explainAwsError,
  operatorClientSettings,
  peekFlag,
  SourceAccessError,
  SourceUsageError,
  splitSourceFlags,
} from '../../cli/audit/source';

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name }, extra);
}

const explained = (error: unknown, table?: string) => {
  try {
    explainAwsError(error, 'reading X', { region: 'eu-west-1', ...(table ? { table } : {}) });
  } catch (thrown) {
    return thrown;
  }
  throw new Error('explainAwsError returned');
};

describe('Source flags of cost and chargeback', () => {
  it('takes --local, --run-dir, --region and --profile off the command line, in both spellings', () => {
    expect(splitSourceFlags(['--month', '2026-03', '--local', '--run-dir=runs/a', '--json'])).toEqual({
      selection: { local: true, runDir: 'runs/a' },
      given: ['--local', '--run-dir'],
      rest: ['--month', '2026-03', '--json'],
    });
    expect(splitSourceFlags(['--region', 'eu-west-1', '--profile=audit', '--from-registry'])).toEqual({
      selection: { local: false, runDir: DEFAULT_RUN_DIR, region: 'eu-west-1', profile: 'audit' },
      given: ['--region', '--profile'],
      rest: ['--from-registry'],
    });
  });

  it('refuses a flag without its value and leaves everything after -- alone', () => {
    expect(() => splitSourceFlags(['--region'])).toThrow(new SourceUsageError('--region needs a value'));
    expect(() => splitSourceFlags(['--region', '--local'])).toThrow(SourceUsageError);
    expect(() => splitSourceFlags(['--profile='])).toThrow(/--profile needs a value/);
    expect(splitSourceFlags(['--', '--local']).rest).toEqual(['--', '--local']);
  });

  it('reads a flag value without removing it', () => {
    expect(peekFlag(['--config', 'a.json'], '--config')).toBe('a.json');
    expect(peekFlag(['--config=b.json'], '--config')).toBe('b.json');
    expect(peekFlag(['--configs', 'x'], '--config')).toBeUndefined();
  });
});

describe('AWS errors, explained', () => {
  it('says there are no credentials and how to read the simulation instead', () => {
    const error = explained(named('CredentialsProviderError', 'Could not load credentials from any providers'));
    expect(error).toBeInstanceOf(SourceAccessError);
    expect((error as Error).message).toMatch(
      /^reading X: no AWS credentials \(Could not load credentials .* add --local$/,
    );
  });

  it('names the table and the flags to check when the registry table does not exist', () => {
    const error = explained(named('ResourceNotFoundException', 'Requested resource not found'), 'spokelink-registry');
    expect((error as Error).message).toBe(
      'reading X: table spokelink-registry not found in eu-west-1: check --config (prefix, registry.tableName), --region and --profile',
    );
  });

  it('passes on AWS access and token errors with their message, and network failures with their code', () => {
    expect((explained(named('AccessDeniedException', 'not authorized')) as Error).message).toBe(
      'reading X in eu-west-1: AccessDeniedException: not authorized',
    );
    const offline = explained(
      named('Error', 'getaddrinfo ENOTFOUND states.eu-west-1.amazonaws.com', { code: 'ENOTFOUND' }),
    );
    expect(offline).toBeInstanceOf(SourceAccessError);
    expect((offline as Error).message).toMatch(/^reading X: cannot reach AWS in eu-west-1 \(ENOTFOUND: /);
  });

  it('rethrows anything else unchanged', () => {
    const other = named('InternalServerError', 'boom');
    expect(explained(other)).toBe(other);
    const missingTable = named('ResourceNotFoundException', 'no');
    expect(explained(missingTable)).toBe(missingTable);
  });
});

describe("An operator's SDK clients", () => {
  it('pace their retries adaptively, 8 attempts, with the named profile or else the default chain', async () => {
    const named = new SFNClient(operatorClientSettings('eu-west-1', 'ops'));
    expect(await named.config.region()).toBe('eu-west-1');
    expect(await named.config.maxAttempts()).toBe(8);
    expect(await named.config.retryStrategy()).toMatchObject({ mode: 'adaptive' });
    expect(named.config.profile).toBe('ops');
    expect(operatorClientSettings('eu-west-1')).not.toHaveProperty('profile');
  });
});
