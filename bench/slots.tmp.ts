import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynalite } from '#local/dynamo';
import { readAttachmentSlots, takeAttachmentSlot } from '#shared/registry';
(async () => {
  const dynamo = await startDynalite();
  const client = dynamo.client();
  await dynamo.createRegistryTable('tbl', client);
  const table = { tableName: 'tbl', dynamo: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }) } as any;
  let n = 0;
  for (const target of [500, 2500, 4900]) {
    while (n < target) { await takeAttachmentSlot(table, { transitGatewayId: 'tgw-1', vpcId: `vpc-0a${String(n).padStart(15, '0')}`, accountId: String(200000000000 + (n % 500)), free: 5000, budget: 100 }); n++; }
    const t0 = process.cpuUsage();
    for (let i = 0; i < 20; i++) await readAttachmentSlots(table, 'tgw-1');
    const t1 = process.cpuUsage(t0);
    const t2 = process.cpuUsage();
    for (let i = 0; i < 20; i++) { await takeAttachmentSlot(table, { transitGatewayId: 'tgw-1', vpcId: `vpc-0b${String(n).padStart(15, '0')}`, accountId: '299999999999', free: 5000, budget: 100 }); n++; }
    const t3 = process.cpuUsage(t2);
    console.log(target, 'read ms', ((t1.user + t1.system) / 20000).toFixed(2), 'take ms', ((t3.user + t3.system) / 20000).toFixed(2));
  }
  await dynamo.stop();
})();
