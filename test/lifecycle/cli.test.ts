import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalHub } from '#local/hub';
import { localApprover, localTransport, runApprove, runDeny } from '../../cli/commands/approve';
import { main } from '../../cli/main';
import { ANALYTICS, lifecycleHub, lifecycleWorld, registryOf, SCRATCH, settle, statusOf } from './helpers';

const ROOT = join(__dirname, '..', '..');

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (t: string) => {
        out.stdout += t;
      },
      stderr: (t: string) => {
        out.stderr += t;
      },
    },
  };
}

describe('CLI: spokelink approve | deny', () => {
  let hub: LocalHub;
  let token: string;
  beforeEach(async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true', 'spokelink:segment': 'restricted' });
    await settle(hub);
    token = hub.sfn.waitingForTokens()[0]!.token;
  });
  afterEach(() => hub?.close());

  const URL = 'https://abcdefghij0123456789.lambda-url.us-east-1.on.aws/';
  /** The CLI's transport, bound to the local hub's decision function URL, as the approver `alice` of the hub. */
  const deps = (approver = 'alice') => ({ transport: () => localTransport(hub, localApprover(hub, approver)) });

  it('approves by VPC id through the decision URL: the onboarding resumes; the IAM caller is recorded; no token printed', async () => {
    const { out, io } = capture();
    const code = await runApprove(
      [ANALYTICS, '--reason', 'ticket NET-42', '--url', URL, '--region', 'us-east-1'],
      io,
      deps(),
    );
    await settle(hub);

    expect(out.stderr).toBe('');
    expect(code).toBe(0);
    expect(out.stdout).toMatch(
      /^approved vpc-0b300000000000001 into segment restricted as arn:aws:iam::111111111111:role\/alice: execution vpc-0b300000000000001-onboard-\w+ resumes\n$/,
    );
    expect(out.stdout + out.stderr).not.toContain(token);
    expect(statusOf(hub, ANALYTICS).status).toBe('connected');
    const history = hub.sfn.history(hub.executions()[0]!.executionArn);
    expect(JSON.stringify(history)).toContain('arn:aws:iam::111111111111:role/alice');
  });

  it('denies with the reason in the status detail, by the authenticated approver; nothing is connected', async () => {
    const { out, io } = capture();
    const code = await runDeny(
      [ANALYTICS, '--reason', 'not restricted', '--url', URL, '--region', 'us-east-1'],
      io,
      deps('bob'),
    );
    await settle(hub);

    expect(code).toBe(0);
    expect(out.stdout).toContain('ends rejected, nothing changed');
    expect(statusOf(hub, ANALYTICS).detail).toMatch(
      /^approval-denied: not restricted \(by arn:aws:iam::111111111111:role\/bob, /,
    );
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toBeUndefined();
  });

  it('exits 1 when nothing waits for a decision, and 2 on a bad VPC id, a self-asserted --by or no URL', async () => {
    const first = capture();
    expect(await runApprove(['vpc-0a200000000000002', '--url', URL, '--region', 'us-east-1'], first.io, deps())).toBe(
      1,
    );
    expect(first.out.stderr).toContain('vpc-0a200000000000002 has no pending approval (HTTP 404)');
    const second = capture();
    expect(await runDeny(['i-123', '--url', URL], second.io, deps())).toBe(2);
    expect(second.out.stderr).toContain('give exactly one VPC id');
    const third = capture();
    expect(await runApprove([ANALYTICS, '--by', 'mallory', '--url', URL], third.io, deps())).toBe(2);
    expect(third.out.stderr).toContain("Unknown option '--by'");
    const fourth = capture();
    expect(await runApprove([ANALYTICS, '--region', 'us-east-1'], fourth.io, deps())).toBe(2);
    expect(fourth.out.stderr).toContain('--url is required');
    expect(hub.sfn.waitingForTokens()).toHaveLength(1);
  });
});

describe('CLI: every command', () => {
  // (no hub: the approve | deny cases above each start one and wait for a decision)
  it('deny is a registered command with its help', async () => {
    const { out, io } = capture();
    expect(await main(['deny', '--help'], io)).toBe(0);
    expect(out.stdout).toContain('usage: spokelink deny VPC_ID');
    expect(out.stdout).toContain('--profile NAME');
  });

  it.each(['simulate', 'cost', 'chargeback', 'audit', 'approve', 'deny', 'plan', 'preflight', 'migrate'])(
    '%s prints its usage for -h and --help, exit 0',
    async (command) => {
      for (const flag of ['-h', '--help']) {
        const { out, io } = capture();
        expect(await main([command, flag], io)).toBe(0);
        expect(out.stdout.startsWith(`usage: spokelink ${command} `)).toBe(true);
        expect(out.stderr).toBe('');
      }
    },
  );
});

describe('CLI: spokelink simulate --scenario', () => {
  const simulate = (...args: string[]) => {
    const { out, io } = capture();
    return main(['simulate', '--quiet', '--save', 'none', ...args], io).then((code) => ({ code, ...out }));
  };

  it('runs the example scenario on the example organization: every expectation holds', async () => {
    const result = await simulate(
      '--config',
      join(ROOT, 'config', 'example.hub.json'),
      '--world',
      join(ROOT, 'worlds', 'example.world.json'),
      '--scenario',
      join(__dirname, 'fixtures', 'example.scenario.json'),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('vpc-0b300000000000002');
  });

  it('offboards a deleted VPC in a scenario, and exits 1 naming the expectation that did not hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spokelink-scenario-'));
    try {
      writeFileSync(join(dir, 'world.json'), JSON.stringify(lifecycleWorld()));
      writeFileSync(
        join(dir, 'scenario.json'),
        JSON.stringify({
          steps: [
            { do: 'tag', vpc: SCRATCH, tags: { 'spokelink:connect': 'true' } },
            { do: 'delete-vpc', vpc: SCRATCH },
            { do: 'expect', vpc: SCRATCH, registry: 'disconnected' },
            { do: 'expect', vpc: SCRATCH, registry: 'connected', note: 'wrong on purpose' },
          ],
        }),
      );
      const result = await simulate(
        '--config',
        join(ROOT, 'config', 'example.hub.json'),
        '--world',
        join(dir, 'world.json'),
        '--scenario',
        join(dir, 'scenario.json'),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `step 4 (expect ${SCRATCH} registry connected): the registry record is disconnected, not connected`,
      );
      expect(result.stderr).not.toContain('step 3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const runScenarioFile = async (steps: unknown[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'spokelink-scenario-'));
    try {
      writeFileSync(join(dir, 'world.json'), JSON.stringify(lifecycleWorld()));
      writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ steps }));
      return await simulate(
        '--config',
        join(ROOT, 'config', 'example.hub.json'),
        '--world',
        join(dir, 'world.json'),
        '--scenario',
        join(dir, 'scenario.json'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('times a step with `at`: it acts mid-flight, before the hub settles, and the run settles after it', async () => {
    const result = await runScenarioFile([
      { do: 'tag', vpc: SCRATCH, tags: { 'spokelink:connect': 'true' } },
      { do: 'expect', vpc: SCRATCH, status: 'onboarding', registry: 'onboarding', at: 20, note: 'attachment pending' },
      { do: 'expect', vpc: SCRATCH, status: 'connected', registry: 'connected', note: 'settled first' },
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('counts `at` from when the previous step began, and refuses a time already past (exit 1, naming the step)', async () => {
    const result = await runScenarioFile([
      { do: 'tag', vpc: SCRATCH, tags: { 'spokelink:connect': 'true' } },
      { do: 'advance-time', seconds: 60 },
      { do: 'expect', vpc: SCRATCH, status: 'connected', at: 30 },
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`step 3 (expect ${SCRATCH} status connected at +30 s): at +30 s is already past`);
  });

  it('refuses a negative `at` with the step and field (exit 2)', async () => {
    const result = await runScenarioFile([{ do: 'tag', vpc: SCRATCH, tags: { 'spokelink:connect': 'true' }, at: -1 }]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('steps.0.at: must be seconds after the previous step began');
  });

  it('refuses an invalid scenario with the step and field, exit 2, nothing run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spokelink-scenario-'));
    try {
      writeFileSync(join(dir, 'bad.json'), JSON.stringify({ steps: [{ do: 'tag', vpc: 'vpc-x', tags: {} }] }));
      const result = await simulate(
        '--config',
        join(ROOT, 'config', 'example.hub.json'),
        '--world',
        join(ROOT, 'worlds', 'example.world.json'),
        '--scenario',
        join(dir, 'bad.json'),
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('steps.0.vpc: must be a VPC id');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
