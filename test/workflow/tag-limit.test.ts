import { parseExecution } from '../../cli/audit/history';
import { renderTimeline } from '../../cli/audit/render';
import { expectCalledOnFullPath } from '../sdk-path';
import {
  ACCOUNTS,
  exampleWorld,
  scenarioVpc,
  scenarioVpcId,
  startWorkflowHub,
  type WorkflowHub,
  withVpcs,
} from './helpers';

/**
 * A VPC at AWS's tag limit (50 per resource): spokelink writes the status tags that fit, status first, removes stale
 * detail/execution tags rather than leave them wrong, and names TagLimitExceeded in the audit (and in the execution's
 * error when not even the status fits, before anything is built).
 */

const ANALYTICS = ACCOUNTS.analytics;
const teamTags = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`team:tag${i}`, 'x']));

/** Request tags + team tags: `total` tags in all. */
function vpcWithTags(n: number, total: number, extra: Record<string, string> = {}) {
  const request = { 'spokelink:connect': 'true', ...extra };
  return scenarioVpc(n, {
    ownerId: ANALYTICS,
    cidrs: [`10.${140 + n}.0.0/16`],
    tags: { ...request, ...teamTags(total - Object.keys(request).length - 1) },
  });
}

const AT_49 = scenarioVpcId(1);
const AT_50 = scenarioVpcId(2);
const STALE = scenarioVpcId(3);

describe('Tag limit: status first, stale tags removed, TagLimitExceeded named', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    const world = withVpcs(
      exampleWorld(),
      vpcWithTags(1, 49),
      vpcWithTags(2, 50),
      // A detail and an execution left by an earlier run, no status tag, and no free slot.
      vpcWithTags(3, 50, { 'spokelink:detail': 'connected to segment prod (long ago)', 'spokelink:execution': 'old' }),
    );
    // The full SDK path: the stale tags' DeleteTags (test/infra/permissions-coverage.test.ts).
    w = await startWorkflowHub({ world, sdkTransport: 'sdk' });
  });
  afterAll(() => w?.close());

  const audit = (vpcId: string) => {
    const execution = w.executionsOf(vpcId).at(-1)!;
    const data = {
      ...execution,
      startDate: new Date(execution.startDate),
      stopDate: execution.stopDate === undefined ? undefined : new Date(execution.stopDate),
    };
    return renderTimeline(parseExecution(data, w.hub.sfn.history(execution.executionArn)));
  };

  it('connects a VPC at 49 tags and says so in spokelink:status, the one tag that fits', async () => {
    const executions = await w.onboard(AT_49);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    const tags = w.tags(AT_49);
    expect(Object.keys(tags)).toHaveLength(50);
    expect(w.status(AT_49)).toEqual({ status: 'connected', detail: undefined, execution: undefined });
    expect((await w.record(AT_49))?.status).toBe('connected');
    expect(audit(AT_49)).toMatch(
      /TagLimitExceeded: vpc-\w+ has 49 tags besides spokelink's status tags \(AWS allows 50\): wrote spokelink:status; not written: spokelink:detail, spokelink:execution/,
    );
  });

  it('builds nothing for a VPC at 50 tags and fails naming TagLimitExceeded', async () => {
    const before = w.snapshot();
    const executions = await w.onboard(AT_50);
    expect(executions.map((e) => [e.status, e.error])).toEqual([['FAILED', 'TagLimitExceededError']]);
    expect(executions[0]!.cause).toMatch(/^SetStatusOnboarding: TagLimitExceededError: TagLimitExceeded: /);
    expect(w.attachmentsOf(AT_50)).toEqual([]);
    expect(w.tags(AT_50)).toEqual(before.ec2.vpcs.find((v) => v.id === AT_50)!.tags);
    expect(audit(AT_50)).toMatch(/TagLimitExceeded/);
  });

  it('gives the slot of a stale execution tag to the status, and rewrites the detail it keeps', async () => {
    const executions = await w.onboard(STALE);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(Object.keys(w.tags(STALE))).toHaveLength(50);
    expect(w.status(STALE)).toEqual({
      status: 'connected',
      detail: expect.stringMatching(/^connected to segment nonprod via tgw-attach-/),
      execution: undefined,
    });
    expect(audit(STALE)).toMatch(
      /wrote spokelink:status, spokelink:detail; not written: spokelink:execution; removed the stale spokelink:execution/,
    );
    // Removed through the full SDK path (test/infra/permissions-coverage.test.ts).
    expectCalledOnFullPath(w.hub, ['ec2:DeleteTags']);
  });
});
