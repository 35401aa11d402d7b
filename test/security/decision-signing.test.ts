import { signedTransport } from '../../cli/commands/approve';

// `spokelink approve|deny` in AWS: the decision is POSTed to the decision function URL, SigV4-signed for the service
// `lambda` with the caller's credentials (what AWS_IAM auth checks); the body names the VPC and the decision only.

describe('Security: the CLI signs decisions with the approver credentials (SigV4, service lambda)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.restoreAllMocks();
  });

  it('sends a signed POST whose body carries no approver name and no token', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAAPPROVER00000001';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-of-the-approver';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const sent: { url: string; init: RequestInit }[] = [];
    jest.spyOn(globalThis, 'fetch').mockImplementation(async (url, init) => {
      sent.push({ url: String(url), init: init ?? {} });
      return new Response(JSON.stringify({ segment: 'restricted' }), { status: 200 });
    });
    const url = 'https://abcdefghij0123456789.lambda-url.us-east-1.on.aws/';

    const reply = await signedTransport({ url, region: 'us-east-1' })({
      vpcId: 'vpc-0b300000000000001',
      decision: 'approve',
      reason: 'NET-1',
    });

    expect(reply.statusCode).toBe(200);
    expect(sent).toHaveLength(1);
    const headers = sent[0]!.init.headers as Record<string, string>;
    expect(sent[0]!.init.method).toBe('POST');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAAPPROVER00000001\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-content-sha256'] ?? headers['x-amz-date']).toBeDefined();
    expect(JSON.parse(String(sent[0]!.init.body))).toEqual({
      vpcId: 'vpc-0b300000000000001',
      decision: 'approve',
      reason: 'NET-1',
    });
  });
});
