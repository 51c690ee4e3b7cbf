import type { CertificateStatus } from '../../lambdas/iot-api/field-rules';

/**
 * The rows the registry keeps, as they are written to the state snapshot and journal,
 * their keys, and the ARNs AWS IoT gives them. Times are epoch milliseconds.
 */

export type CertificateMode = 'DEFAULT' | 'SNI_ONLY';
export type ThingPrincipalType = 'EXCLUSIVE_THING' | 'NON_EXCLUSIVE_THING';
export type CaCertificateStatus = 'ACTIVE' | 'INACTIVE';
export type AutoRegistrationStatus = 'ENABLE' | 'DISABLE';

export interface TransferRecord {
  transferMessage?: string;
  rejectReason?: string;
  transferDate?: number;
  acceptDate?: number;
  rejectDate?: number;
}

export interface StoredCertificate {
  certificateId: string;
  region: string;
  /** Creation order, for listing and markers. */
  sequence: number;
  status: CertificateStatus;
  certificatePem: string;
  ownedBy: string;
  previousOwnedBy?: string;
  /** The account a pending transfer offers the certificate to. */
  pendingTransferTo?: string;
  creationDate: number;
  lastModifiedDate: number;
  customerVersion: number;
  generationId: string;
  notBefore: number;
  notAfter: number;
  transferData?: TransferRecord;
  /** Names of the owner's policies attached to the certificate, in attachment order. */
  policies: string[];
  /** Names of the owner's things the certificate is attached to, in attachment order. */
  things: string[];
  /** Things attached with thingPrincipalType EXCLUSIVE_THING; absent in state written before it existed. */
  exclusiveThings?: string[];
  /** The registered CA that signed it (RegisterCertificate); absent for CreateKeysAndCertificate. */
  caCertificateId?: string;
  /** Absent in state written before it existed, which means DEFAULT. */
  certificateMode?: CertificateMode;
}

export interface StoredPolicy {
  accountId: string;
  region: string;
  policyName: string;
  policyDocument: string;
  policyVersionId: string;
  creationDate: number;
  /** Absent in state written before it existed. */
  sequence?: number;
  lastModifiedDate?: number;
  generationId?: string;
  tags?: Array<{ Key: string; Value?: string }>;
}

export interface StoredThing {
  accountId: string;
  region: string;
  thingName: string;
  thingId: string;
  thingTypeName?: string;
  billingGroupName?: string;
  attributes: Record<string, string>;
  /** Absent in state written before it existed, which means 1. */
  version?: number;
}

export interface StoredThingType {
  accountId: string;
  region: string;
  thingTypeName: string;
  thingTypeId: string;
  description?: string;
  searchableAttributes?: string[];
  creationDate: number;
}

export interface StoredBillingGroup {
  accountId: string;
  region: string;
  billingGroupName: string;
  billingGroupId: string;
  description?: string;
  creationDate: number;
}

export interface StoredRegistrationConfig {
  templateBody?: string;
  roleArn?: string;
  templateName?: string;
}

export interface StoredCaCertificate {
  accountId: string;
  region: string;
  certificateId: string;
  sequence: number;
  status: CaCertificateStatus;
  certificatePem: string;
  /** The subject as node:crypto prints it, for the 10-per-subject quota and issuer matching. */
  subject: string;
  autoRegistrationStatus: AutoRegistrationStatus;
  certificateMode: CertificateMode;
  registrationConfig?: StoredRegistrationConfig;
  creationDate: number;
  lastModifiedDate: number;
  customerVersion: number;
  generationId: string;
  notBefore: number;
  notAfter: number;
}

export interface StoredRegistrationCode {
  accountId: string;
  registrationCode: string;
}

/** The registry as JSON, for the state snapshot. The first three tables are those of the first state files. */
export interface RegistrySnapshot {
  sequence: number;
  certificates: StoredCertificate[];
  policies: StoredPolicy[];
  things: StoredThing[];
  thingTypes?: StoredThingType[];
  billingGroups?: StoredBillingGroup[];
  caCertificates?: StoredCaCertificate[];
  registrationCodes?: StoredRegistrationCode[];
}

export function accountKey(accountId: string, name: string): string {
  return `${accountId}/${name}`;
}

export function certificateKey(certificateId: string): string {
  return certificateId.toLowerCase();
}

export function caCertificateKey(accountId: string, certificateId: string): string {
  return accountKey(accountId, certificateId.toLowerCase());
}

export function certificateArn(
  certificate: Pick<StoredCertificate, 'region' | 'ownedBy' | 'certificateId'>,
  accountId = certificate.ownedBy,
): string {
  return `arn:aws:iot:${certificate.region}:${accountId}:cert/${certificate.certificateId}`;
}

export function caCertificateArn(ca: Pick<StoredCaCertificate, 'region' | 'accountId' | 'certificateId'>): string {
  return `arn:aws:iot:${ca.region}:${ca.accountId}:cacert/${ca.certificateId}`;
}

export function policyArn(policy: Pick<StoredPolicy, 'region' | 'accountId' | 'policyName'>): string {
  return `arn:aws:iot:${policy.region}:${policy.accountId}:policy/${policy.policyName}`;
}

export function thingArn(thing: Pick<StoredThing, 'region' | 'accountId' | 'thingName'>): string {
  return `arn:aws:iot:${thing.region}:${thing.accountId}:thing/${thing.thingName}`;
}

export function thingTypeArn(thingType: Pick<StoredThingType, 'region' | 'accountId' | 'thingTypeName'>): string {
  return `arn:aws:iot:${thingType.region}:${thingType.accountId}:thingtype/${thingType.thingTypeName}`;
}

export function billingGroupArn(group: Pick<StoredBillingGroup, 'region' | 'accountId' | 'billingGroupName'>): string {
  return `arn:aws:iot:${group.region}:${group.accountId}:billinggroup/${group.billingGroupName}`;
}
