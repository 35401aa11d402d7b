import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleLambda } from '../infra/bundling/esbuild';
import { MOTO_ACCOUNT } from './harness/compare';
import { useMoto } from './harness/suite';

const moto = useMoto();
const ROOT = join(__dirname, '..');

/**
 * The deployed artifact on the wire: the production bundler's output (the SDK inside, its schema modules rewritten
 * for tree shaking) runs in a fresh Node.js process against moto, as Lambda would run it against AWS.
 */
describe('Lambda bundle against moto', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'spokelink-wire-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('sends the requests and reads the answers of EC2 (query), Route 53 (REST-XML) and STS', async () => {
    await bundleLambda(ROOT, join(__dirname, 'bundle', 'wire-probe.ts'), work);
    const script = `import(${JSON.stringify(`file://${join(work, 'index.mjs')}`)}).then((m) => m.handler()).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const output = execFileSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_ENDPOINT_URL: moto().endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    expect(JSON.parse(output)).toEqual({
      account: MOTO_ACCOUNT,
      vpc: {
        cidr: '10.42.0.0/16',
        tags: { Name: 'wire-probe', 'spokelink:status': 'connected' },
        dnsSupport: true,
        routeTableInVpc: true,
      },
      authorizedRules: [['10.7.0.0/16', 443, 'spoke']],
      describedIngress: [['10.7.0.0/16', 443]],
      zonesOfOtherVpc: ['ssm.us-east-1.amazonaws.com.'],
    });
  });
});
