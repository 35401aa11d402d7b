import { TwinError } from '#twin/errors';
import type { Twin } from '#twin/twin';
import type { ServiceModule } from '#twin/types';

/**
 * SNS, locally: the hub's topics (approvals, failures) and a recorder of what was published to them, answering
 * `Publish` for `@aws-sdk/client-sns` callers and the `sns:publish` Task integration. Nothing is delivered to
 * subscribers: tests and the report read `messages`.
 */

/** One published message. */
export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes?: unknown;
  /** Account of the publisher. */
  publisher: string;
  at: number;
}

/** SNS message size limit (256 KB). */
const MAX_MESSAGE_BYTES = 262_144;

export class LocalSns {
  readonly messages: PublishedMessage[] = [];
  private readonly topics = new Set<string>();
  private counter = 0;

  constructor(
    private readonly twin: Twin,
    readonly region: string,
  ) {}

  /** Creates a topic owned by `accountId`; returns its ARN. */
  createTopic(accountId: string, name: string): string {
    const arn = `arn:aws:sns:${this.region}:${accountId}:${name}`;
    this.topics.add(arn);
    return arn;
  }

  /** Publishes as `accountId` (owner-only topics, as spokelink's topic policies allow). Returns the message id. */
  publish(
    accountId: string,
    input: { TopicArn?: string; TargetArn?: string; Message?: string; Subject?: string; MessageAttributes?: unknown },
  ): string {
    const topicArn = input.TopicArn ?? input.TargetArn;
    if (!topicArn)
      throw new TwinError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value', 400);
    if (typeof input.Message !== 'string' || input.Message.length === 0) {
      throw new TwinError('InvalidParameter', 'Invalid parameter: Message Reason: Empty message', 400);
    }
    if (Buffer.byteLength(input.Message, 'utf8') > MAX_MESSAGE_BYTES) {
      throw new TwinError('InvalidParameter', 'Invalid parameter: Message too long', 400);
    }
    if (input.Subject !== undefined && (input.Subject.length > 100 || /[\r\n]/.test(input.Subject))) {
      throw new TwinError('InvalidParameter', 'Invalid parameter: Subject', 400);
    }
    if (!this.topics.has(topicArn)) throw new TwinError('NotFound', 'Topic does not exist', 404);
    const owner = topicArn.split(':')[4];
    if (owner !== accountId) {
      throw new TwinError(
        'AuthorizationError',
        `User: arn:aws:iam::${accountId}:* is not authorized to perform: SNS:Publish on resource: ${topicArn}`,
        403,
      );
    }
    this.counter += 1;
    const messageId = `5e5a0000-0000-4000-8000-${this.counter.toString(16).padStart(12, '0')}`;
    this.messages.push({
      messageId,
      topicArn,
      subject: input.Subject,
      message: input.Message,
      attributes: input.MessageAttributes,
      publisher: accountId,
      at: Date.now(),
    });
    return messageId;
  }

  /** The twin service module answering `@aws-sdk/client-sns`. */
  service(): ServiceModule<unknown, unknown> {
    return {
      name: 'sns',
      createState: () => ({}),
      // Messages are not resources: keep them out of "nothing changed" snapshots.
      snapshot: () => ({ topics: [...this.topics].sort() }),
      operations: {
        Publish: (ctx, input) => ({ MessageId: this.publish(ctx.caller.accountId, input) }),
        ListTopics: () => ({ Topics: [...this.topics].sort().map((TopicArn) => ({ TopicArn })) }),
      },
    };
  }

  /** Registers the service on the twin. */
  attach(): void {
    this.twin.register(this.service());
  }
}
