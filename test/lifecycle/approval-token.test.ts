import type { LocalHub } from '#local/hub';
import { logger } from '#shared/logger';
import { localApprover, localTransport } from '../../cli/commands/approve';
import { redactTokens } from '../../functions/approval/redact';
import { ANALYTICS, lifecycleHub, settle, statusOf } from './helpers';

/** Everything written to stdout and stderr while `run` runs (the handlers' Powertools logs go there). */
async function captureOutput(run: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const original = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    await run();
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  }
  return chunks.join('');
}

describe('Lifecycle: the approval task token', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('never appears in the logs of a whole approval, at the most verbose level', async () => {
    // The one logger of the handlers (loaded once per test file, like a warm container), at its most verbose.
    logger.setLogLevel('DEBUG');
    let token = '';
    const logs = await captureOutput(async () => {
      hub = await lifecycleHub({ logLevel: 'DEBUG' });
      await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true', 'spokelink:segment': 'restricted' });
      await settle(hub);
      token = hub.sfn.waitingForTokens()[0]?.token ?? '';
      await localTransport(hub, localApprover(hub, 'alice'))({ vpcId: ANALYTICS, decision: 'approve' });
      await settle(hub);
    });

    logger.setLogLevel('SILENT');
    expect(token).toMatch(/^AQCE/);
    expect(statusOf(hub, ANALYTICS).status).toBe('connected');
    // The handlers did log (this is no silent run), and the approval step among them.
    expect(logs).toContain('"message":"approval requested"');
    expect(logs).toContain('"taskToken":"[redacted]"');
    expect(logs).not.toContain(token);
  });

  it('is redacted from anything logged about a request', () => {
    expect(redactTokens({ taskToken: 'AQCEsecret', plan: { vpcId: 'vpc-1' }, list: [{ token: 'x' }] })).toEqual({
      taskToken: '[redacted]',
      plan: { vpcId: 'vpc-1' },
      list: [{ token: '[redacted]' }],
    });
  });
});
