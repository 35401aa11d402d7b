import { statusDetail } from '#shared/tags';
import {
  ACCOUNTS,
  exampleWorld,
  scenarioRouteTableId,
  scenarioSubnetId,
  scenarioVpc,
  startWorkflowHub,
  type WorkflowHub,
  withVpcs,
} from '../workflow/helpers';

/**
 * A tenant controls its route tables and its other TGW attachments. Before, a VPC set up to fail (a foreign route to
 * the hub destination, or already at AWS's 5 attachments per VPC) made the hub build an attachment, zone associations
 * and security group rules, then tear them down: hub work, hub quota and churn on shared resources at the tenant's
 * command. The attack: ask with such a VPC. It gains nothing: the request is refused by reads alone, and no call
 * changes anything but the VPC's own status tags.
 */

const TENANT = ACCOUNTS.analytics;
const connect = { 'spokelink:connect': 'true' };

const FOREIGN_ROUTE = (() => {
  const v = scenarioVpc(61, { ownerId: TENANT, cidrs: ['10.161.0.0/16'], tags: connect });
  v.routeTables![1]!.routes = [{ destinationCidrBlock: '10.0.0.0/16', natGatewayId: 'nat-0e000000000000061' }];
  return v;
})();
const FULL = scenarioVpc(62, { ownerId: TENANT, cidrs: ['10.162.0.0/16'], tags: connect });
const TENANT_TGWS = [1, 2, 3, 4, 5].map((i) => `tgw-0e00000000000006${i}`);

/** Read-only operations (the intake's StartExecution and the status tags are expected as the only others). */
const harmless = (operation: string) => /^(Describe|List|Get)/.test(operation) || operation === 'AssumeRole';

describe('Security: a VPC set up to fail is refused by reads alone', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    const world = withVpcs(exampleWorld(), FOREIGN_ROUTE, FULL);
    world.ec2!.transitGateways!.push(
      ...TENANT_TGWS.map((id) => ({ id, ownerId: TENANT, region: 'us-east-1' as const })),
    );
    world.ec2!.transitGatewayAttachments = [
      ...(world.ec2!.transitGatewayAttachments ?? []),
      ...TENANT_TGWS.map((transitGatewayId, i) => ({
        id: `tgw-attach-0e00000000000006${i}`,
        transitGatewayId,
        vpcId: FULL.id,
        subnetIds: [scenarioSubnetId(62, 0)],
      })),
    ];
    w = await startWorkflowHub({ world });
  });
  afterAll(() => w?.close());

  it.each([
    [
      'a foreign route to the hub destination',
      FOREIGN_ROUTE.id,
      `route-conflict: ${scenarioRouteTableId(61, 1)} routes 10.0.0.0/16 to nat-0e000000000000061`,
    ],
    [
      'a VPC at the attachment limit',
      FULL.id,
      `attachment-limit: ${FULL.id} already has 5 Transit Gateway attachments`,
    ],
  ])('%s: rejected, and no call but status tags changes anything', async (_name, vpcId, detail) => {
    const mark = w.mark();
    const executions = await w.onboard(vpcId);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(w.status(vpcId)).toMatchObject({ status: 'rejected' });
    expect(w.status(vpcId).detail!.startsWith(statusDetail(detail))).toBe(true);
    const writes = w
      .callsSince(mark)
      .filter((c) => !harmless(c.operation))
      .map((c) => c.operation);
    expect(writes).toEqual(['StartExecution', 'CreateTags']);
    expect(await w.registryItemsAbout(vpcId)).toEqual([]);
  });
});
