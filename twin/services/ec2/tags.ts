import type { CreateTagsRequest, DeleteTagsRequest, DescribeTagsRequest, TagDescription } from '@aws-sdk/client-ec2';
import { errors } from '../../errors';
import type { CallContext, OperationHandler } from '../../types';
import {
  applyFilters,
  collectionOf,
  ec2State,
  emitApiCall,
  err,
  owned,
  ownedList,
  paginate,
  quotas,
  resourceTypeOf,
  validateTags,
  writeTags,
} from './model';

/** The caller's own taggable resource, or the NotFound code of its type (an invisible resource does not exist). */
function taggable(ctx: CallContext, id: string) {
  const collection = collectionOf(id);
  if (!collection) throw err('InvalidID', `The ID '${id}' is not valid`);
  return owned(ctx, collection, id, 'ResourceId');
}

/**
 * CloudTrail's request parameters of CreateTags/DeleteTags (`resourcesSet.items[].resourceId`,
 * `tagSet.items[].{key,value}`), as the "AWS API Call via CloudTrail" event carries them (aws-facts, Events).
 */
function tagTrail(ids: string[], tags: { key: string; value?: string }[]) {
  return {
    resourcesSet: { items: ids.map((resourceId) => ({ resourceId })) },
    tagSet: { items: tags.map((t) => (t.value === undefined ? { key: t.key } : { key: t.key, value: t.value })) },
  };
}

export const tagOperations: Record<string, OperationHandler> = {
  CreateTags(ctx, input: CreateTagsRequest) {
    const ids = input.Resources ?? [];
    if (ids.length === 0) throw errors.missingParameter('ResourceId');
    const tags = validateTags(input.Tags);
    if (tags.length === 0) throw errors.missingParameter('Tag');
    // Validate every resource first: the request succeeds or fails as a whole.
    const resources = ids.map((id) => taggable(ctx, id));
    for (const r of resources) {
      const keys = new Set([...Object.keys(r.tags), ...tags.map((t) => t.key)]);
      if (keys.size > quotas(ctx.twin).userTagsPerResource) {
        throw err('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
      }
    }
    for (const r of resources) writeTags(ctx, r, { set: tags });
    emitApiCall(ctx, 'CreateTags', tagTrail(ids, tags), { _return: true });
    return {};
  },

  DeleteTags(ctx, input: DeleteTagsRequest) {
    const ids = input.Resources ?? [];
    if (ids.length === 0) throw errors.missingParameter('ResourceId');
    const resources = ids.map((id) => taggable(ctx, id));
    for (const r of resources) {
      // Without Tags, DeleteTags removes every user tag
      // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html).
      const remove =
        input.Tags === undefined
          ? Object.keys(r.tags).map((key) => ({ key }))
          : input.Tags.map((t) => ({ key: t.Key ?? '', value: t.Value }));
      writeTags(ctx, r, { remove });
    }
    emitApiCall(
      ctx,
      'DeleteTags',
      tagTrail(
        ids,
        (input.Tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value })),
      ),
      { _return: true },
    );
    return {};
  },

  DescribeTags(ctx, input: DescribeTagsRequest) {
    const s = ec2State(ctx.twin);
    const rows: (TagDescription & { tags?: Record<string, string> })[] = [];
    for (const collection of Object.keys(s) as Exclude<
      keyof typeof s,
      'settings' | 'quotas' | 'ipv6Pools' | 'amazonIpv6Allocated'
    >[]) {
      if (['settings', 'quotas', 'ipv6Pools', 'amazonIpv6Allocated'].includes(collection)) continue;
      for (const r of ownedList(ctx, collection)) {
        for (const [Key, Value] of Object.entries(r.tags)) {
          rows.push({
            ResourceId: r.id,
            ResourceType: resourceTypeOf(r.id) as TagDescription['ResourceType'],
            Key,
            Value,
          });
        }
      }
    }
    const filtered = applyFilters(rows, input.Filters, {
      'resource-id': (t) => t.ResourceId,
      'resource-type': (t) => t.ResourceType,
      key: (t) => t.Key,
      value: (t) => t.Value,
    });
    const { page, NextToken } = paginate(filtered, input);
    return { Tags: page, NextToken };
  },
};
