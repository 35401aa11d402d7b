import * as z from 'zod';
import { ApprovalExpiredError, ApprovalRequestChangedError, NoPendingApprovalError } from '#shared/errors';
import { formatIssues } from '#shared/zod-issues';
import { type DecideDeps, type DecisionResult, decide } from '../approval/decide';

/**
 * The decision entry point: a Lambda function URL with `AWS_IAM` auth (infra/stacks/hub-stack.ts). Lambda lets a
 * request through only when it is SigV4-signed by a principal allowed `lambda:InvokeFunctionUrl` on this function, and
 * puts that principal's ARN in `requestContext.authorizer.iam.userArn`
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads): that ARN, never a name in the
 * body, is who decided. Approvers need no `states:SendTask*` and never see the task token.
 */

/** What an approver sends (JSON body, POST). */
export const DecisionBodySchema = z.strictObject({
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id (vpc-...)'),
  decision: z.enum(['approve', 'deny']),
  reason: z.string().max(1024).optional(),
  /** The request digest the approver saw (at least 8 hex characters): refused if another request is pending. */
  request: z
    .string()
    .regex(/^[0-9a-f]{8,64}$/, 'must be the request digest (8 to 64 hex characters) of the notification')
    .optional(),
});
export type DecisionBody = z.infer<typeof DecisionBodySchema>;

/** The parts of a function URL event (payload format 2.0) the entry point reads. */
export const FunctionUrlEventSchema = z.object({
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.object({
    http: z.object({ method: z.string() }),
    authorizer: z
      .object({ iam: z.object({ userArn: z.string().min(1) }).partial() })
      .partial()
      .optional(),
  }),
});

export interface DecisionResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const respond = (statusCode: number, body: object): DecisionResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Answers one function URL request: 200 decided, 400 bad request, 403 no IAM caller, 404 nothing pending, 409 stale. */
export async function handleDecision(event: unknown, deps: DecideDeps): Promise<DecisionResponse> {
  const parsedEvent = FunctionUrlEventSchema.safeParse(event);
  if (!parsedEvent.success) return respond(400, { error: 'not a function URL request' });
  const { requestContext, body, isBase64Encoded } = parsedEvent.data;
  const by = requestContext.authorizer?.iam?.userArn;
  // Only reachable with AWS_IAM auth; without an authenticated caller nothing is decided.
  if (!by) return respond(403, { error: 'the caller is not authenticated with IAM' });
  if (requestContext.http.method !== 'POST') return respond(405, { error: 'POST a JSON decision' });
  let raw: unknown;
  try {
    raw = JSON.parse(isBase64Encoded ? Buffer.from(body ?? '', 'base64').toString('utf8') : (body ?? ''));
  } catch {
    return respond(400, { error: 'the body is not JSON' });
  }
  const parsed = DecisionBodySchema.safeParse(raw);
  if (!parsed.success) {
    return respond(400, {
      error: formatIssues(parsed.error, { root: '(body)' }),
    });
  }
  try {
    const result: DecisionResult = await decide({ ...parsed.data, by }, deps);
    return respond(200, result);
  } catch (error) {
    if (error instanceof NoPendingApprovalError) return respond(404, { error: error.message });
    if (error instanceof ApprovalExpiredError || error instanceof ApprovalRequestChangedError) {
      return respond(409, { error: error.message });
    }
    throw error;
  }
}
