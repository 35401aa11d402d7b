import { type BulkResult, runBulk } from '../../bench/bulk';
import { bulkWorld } from '../../bench/worlds';

/*
 * Scale tier: migration days on the in-process DynamoDB transport and over HTTP (the default tier,
 * dynamo-transport.test.ts, compares each request of a sequence).
 */
describe('a migration day on the in-process transport', () => {
  const fingerprint = (r: BulkResult) => ({
    connected: r.connected,
    executions: r.executions,
    invariants: r.invariants,
    makespanSeconds: r.makespanSeconds,
    awsCalls: r.awsCalls,
    throttledCalls: r.throttledCalls,
    stateTransitions: r.stateTransitions,
    lambdaInvocations: r.lambdaInvocations,
    callsByOperation: r.callsByOperation,
    stateRetries: r.stateRetries,
    perVpc: r.perVpc,
  });

  it('repeats exactly, and ends as the same day over HTTP does', async () => {
    // Two VPCs whose executions overlap (concurrent registry requests) make the case; each of the three days costs a
    // second or two.
    const bulk = bulkWorld({ accounts: 1, vpcsPerAccount: 2 });
    // Over the socket the OS may order concurrent responses differently (so the retries may differ), but the day
    // ends the same: every VPC connected, nothing duplicated, lost or orphaned. Every hub starts with cold Lambda
    // containers (resetContainerCaches), so the two in-process days compare exactly.
    const http = fingerprint(await runBulk({ bulk, seed: 5, hubOptions: { dynamoTransport: 'http' } }));
    const first = fingerprint(await runBulk({ bulk, seed: 5 }));
    const second = fingerprint(await runBulk({ bulk, seed: 5 }));
    expect(second).toEqual(first);
    expect(first.connected).toBe(2);
    expect({ connected: http.connected, executions: http.executions, invariants: http.invariants }).toEqual({
      connected: first.connected,
      executions: first.executions,
      invariants: first.invariants,
    });
  });
});
