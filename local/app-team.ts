import { EC2Client } from '@aws-sdk/client-ec2';
import type { Vpc } from '#twin/services/ec2/model';
import type { Twin } from '#twin/twin';

/**
 * An EC2 client acting as the VPC's app team (the owner account's `app-team` role), one attempt per call: what a
 * tenant does to its own VPC in a scenario or a demo (tag it, delete it), answered by the twin through `plugin`.
 */
export function appTeamEc2Client(
  twin: Twin,
  vpc: Pick<Vpc, 'ownerId' | 'region'>,
  plugin: Parameters<EC2Client['middlewareStack']['use']>[0],
): EC2Client {
  const team = twin.credentialsFor(`arn:aws:iam::${vpc.ownerId}:role/app-team`);
  const client = new EC2Client({
    region: vpc.region,
    credentials: { accessKeyId: team.accessKeyId, secretAccessKey: team.secretAccessKey },
    maxAttempts: 1,
  });
  client.middlewareStack.use(plugin);
  return client;
}
