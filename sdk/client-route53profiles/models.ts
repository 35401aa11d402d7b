/**
 * Shapes of the Route 53 Profiles API (https://docs.aws.amazon.com/Route53/latest/APIReference/API_Operations_Route_53_Profiles.html),
 * named and typed as `@aws-sdk/client-route53profiles` names them.
 */

export type ProfileStatus = 'COMPLETE' | 'DELETING' | 'UPDATING' | 'CREATING' | 'DELETED' | 'FAILED';
export type ShareStatus = 'NOT_SHARED' | 'SHARED_WITH_ME' | 'SHARED_BY_ME';

export interface Tag {
  Key: string | undefined;
  Value: string | undefined;
}

export interface Profile {
  Id?: string;
  Arn?: string;
  Name?: string;
  OwnerId?: string;
  ClientToken?: string;
  ShareStatus?: ShareStatus;
  Status?: ProfileStatus;
  StatusMessage?: string;
  CreationTime?: Date;
  ModificationTime?: Date;
}

export interface ProfileSummary {
  Id?: string;
  Arn?: string;
  Name?: string;
  ShareStatus?: ShareStatus;
}

export interface ProfileAssociation {
  Id?: string;
  Name?: string;
  OwnerId?: string;
  ProfileId?: string;
  /** The VPC id. */
  ResourceId?: string;
  Status?: ProfileStatus;
  StatusMessage?: string;
  CreationTime?: Date;
  ModificationTime?: Date;
}

export interface ProfileResourceAssociation {
  Id?: string;
  Name?: string;
  OwnerId?: string;
  ProfileId?: string;
  ResourceArn?: string;
  /** `{"priority": 102}` for firewall rule groups; not used for hosted zones. */
  ResourceProperties?: string;
  ResourceType?: string;
  Status?: ProfileStatus;
  StatusMessage?: string;
  CreationTime?: Date;
  ModificationTime?: Date;
}

export interface MetadataBearer {
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
}

export interface CreateProfileCommandInput {
  Name: string | undefined;
  ClientToken?: string;
  Tags?: Tag[];
}
export interface CreateProfileCommandOutput extends MetadataBearer {
  Profile?: Profile;
}
export interface GetProfileCommandInput {
  ProfileId: string | undefined;
}
export interface GetProfileCommandOutput extends MetadataBearer {
  Profile?: Profile;
}
export interface DeleteProfileCommandInput {
  ProfileId: string | undefined;
}
export interface DeleteProfileCommandOutput extends MetadataBearer {
  Profile?: Profile;
}
export interface ListProfilesCommandInput {
  MaxResults?: number;
  NextToken?: string;
}
export interface ListProfilesCommandOutput extends MetadataBearer {
  ProfileSummaries?: ProfileSummary[];
  NextToken?: string;
}
export interface AssociateResourceToProfileCommandInput {
  Name: string | undefined;
  ProfileId: string | undefined;
  ResourceArn: string | undefined;
  ResourceProperties?: string;
}
export interface AssociateResourceToProfileCommandOutput extends MetadataBearer {
  ProfileResourceAssociation?: ProfileResourceAssociation;
}
export interface DisassociateResourceFromProfileCommandInput {
  ProfileId: string | undefined;
  ResourceArn: string | undefined;
}
export interface DisassociateResourceFromProfileCommandOutput extends MetadataBearer {
  ProfileResourceAssociation?: ProfileResourceAssociation;
}
export interface GetProfileResourceAssociationCommandInput {
  ProfileResourceAssociationId: string | undefined;
}
export interface GetProfileResourceAssociationCommandOutput extends MetadataBearer {
  ProfileResourceAssociation?: ProfileResourceAssociation;
}
export interface ListProfileResourceAssociationsCommandInput {
  ProfileId: string | undefined;
  ResourceType?: string;
  MaxResults?: number;
  NextToken?: string;
}
export interface ListProfileResourceAssociationsCommandOutput extends MetadataBearer {
  ProfileResourceAssociations?: ProfileResourceAssociation[];
  NextToken?: string;
}
export interface AssociateProfileCommandInput {
  Name: string | undefined;
  ProfileId: string | undefined;
  /** The VPC id. */
  ResourceId: string | undefined;
  Tags?: Tag[];
}
export interface AssociateProfileCommandOutput extends MetadataBearer {
  ProfileAssociation?: ProfileAssociation;
}
export interface DisassociateProfileCommandInput {
  ProfileId: string | undefined;
  ResourceId: string | undefined;
}
export interface DisassociateProfileCommandOutput extends MetadataBearer {
  ProfileAssociation?: ProfileAssociation;
}
export interface GetProfileAssociationCommandInput {
  ProfileAssociationId: string | undefined;
}
export interface GetProfileAssociationCommandOutput extends MetadataBearer {
  ProfileAssociation?: ProfileAssociation;
}
export interface ListProfileAssociationsCommandInput {
  ProfileId?: string;
  ResourceId?: string;
  MaxResults?: number;
  NextToken?: string;
}
export interface ListProfileAssociationsCommandOutput extends MetadataBearer {
  ProfileAssociations?: ProfileAssociation[];
  NextToken?: string;
}

// ---- errors (names, HTTP statuses and fault as the service models them) ----------------------------------------

export class Route53ProfilesServiceException extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: MetadataBearer['$metadata'];
  Code?: string;
  constructor(options: {
    name: string;
    $fault: 'client' | 'server';
    message?: string;
    $metadata?: MetadataBearer['$metadata'];
  }) {
    super(options.message ?? options.name);
    this.name = options.name;
    this.$fault = options.$fault;
    this.$metadata = options.$metadata ?? {};
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

type ExceptionOptions = { message?: string; $metadata?: MetadataBearer['$metadata'] };

function modeled(name: string, fault: 'client' | 'server') {
  return class extends Route53ProfilesServiceException {
    constructor(options: ExceptionOptions) {
      super({ ...options, name, $fault: fault });
    }
  };
}

export class AccessDeniedException extends modeled('AccessDeniedException', 'client') {}
export class ConflictException extends modeled('ConflictException', 'client') {}
export class InternalServiceErrorException extends modeled('InternalServiceErrorException', 'server') {}
export class InvalidNextTokenException extends modeled('InvalidNextTokenException', 'client') {}
export class InvalidParameterException extends modeled('InvalidParameterException', 'client') {}
export class LimitExceededException extends modeled('LimitExceededException', 'client') {}
export class ResourceExistsException extends modeled('ResourceExistsException', 'client') {}
export class ResourceNotFoundException extends modeled('ResourceNotFoundException', 'client') {}
export class ThrottlingException extends modeled('ThrottlingException', 'client') {}
export class ValidationException extends modeled('ValidationException', 'client') {}

/** Modeled exceptions by wire name (`x-amzn-errortype`). */
export const EXCEPTIONS: Record<string, new (options: ExceptionOptions) => Route53ProfilesServiceException> = {
  AccessDeniedException,
  ConflictException,
  InternalServiceErrorException,
  InvalidNextTokenException,
  InvalidParameterException,
  LimitExceededException,
  ResourceExistsException,
  ResourceNotFoundException,
  ThrottlingException,
  ValidationException,
};
