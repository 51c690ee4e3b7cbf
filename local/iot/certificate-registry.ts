import { randomBytes, randomUUID } from 'node:crypto';
import type { CertificateStatus } from '../../lambdas/iot-api/field-rules';
import { IotServiceError } from './iot-errors';
import { pageOf, type Page } from './list-pages';

/**
 * The IoT registry of every account the endpoint plays: certificates, policies, things
 * and what is attached to what, with the certificate-transfer state machine. Pure state:
 * no HTTP, no clock of its own (times come in as epoch milliseconds), and every refusal
 * is an IotServiceError named as AWS names it.
 *
 * Who sees a certificate: its owner, and while it is PENDING_TRANSFER also the account
 * it is offered to. After an accepted transfer the previous owner no longer sees it,
 * but is told TransferAlreadyCompletedException if it tries to act on the transfer.
 */

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
}

export interface StoredPolicy {
  accountId: string;
  region: string;
  policyName: string;
  policyDocument: string;
  policyVersionId: string;
  creationDate: number;
}

export interface StoredThing {
  accountId: string;
  region: string;
  thingName: string;
  thingId: string;
  thingTypeName?: string;
  attributes: Record<string, string>;
}

/** The registry as JSON, for the state file. */
export interface RegistrySnapshot {
  sequence: number;
  certificates: StoredCertificate[];
  policies: StoredPolicy[];
  things: StoredThing[];
}

export interface Caller {
  accountId: string;
  region: string;
}

export interface NewCertificate {
  certificateId: string;
  certificatePem: string;
  notBefore: number;
  notAfter: number;
  setAsActive: boolean;
}

export interface ListRequest {
  pageSize?: number;
  marker?: string;
  ascendingOrder?: boolean;
}

export const DEFAULT_PAGE_SIZE = 25;

export function certificateArn(certificate: Pick<StoredCertificate, 'region' | 'ownedBy' | 'certificateId'>, accountId = certificate.ownedBy): string {
  return `arn:aws:iot:${certificate.region}:${accountId}:cert/${certificate.certificateId}`;
}

export function policyArn(policy: Pick<StoredPolicy, 'region' | 'accountId' | 'policyName'>): string {
  return `arn:aws:iot:${policy.region}:${policy.accountId}:policy/${policy.policyName}`;
}

export function thingArn(thing: Pick<StoredThing, 'region' | 'accountId' | 'thingName'>): string {
  return `arn:aws:iot:${thing.region}:${thing.accountId}:thing/${thing.thingName}`;
}

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:([0-9]{12}):cert\/([a-fA-F0-9]{64})$/;

type TransferAction = 'accept' | 'reject' | 'cancel';

const RESERVED_STATUSES: readonly CertificateStatus[] = ['PENDING_TRANSFER', 'PENDING_ACTIVATION'];

function newGenerationId(): string {
  return randomBytes(16).toString('hex');
}

function keyOf(accountId: string, name: string): string {
  return `${accountId}/${name}`;
}

function sameAttributes(left: Record<string, string>, right: Record<string, string>): boolean {
  const leftKeys = Object.keys(left).sort();
  const rightKeys = Object.keys(right).sort();
  return leftKeys.length === rightKeys.length && leftKeys.every((key, index) => key === rightKeys[index] && left[key] === right[key]);
}

export class CertificateRegistry {
  private sequence = 0;
  private readonly certificates = new Map<string, StoredCertificate>();
  private readonly policies = new Map<string, StoredPolicy>();
  private readonly things = new Map<string, StoredThing>();
  /** Goes up with every change, so a caller can tell whether to save. */
  revision = 0;

  constructor(snapshot?: RegistrySnapshot) {
    if (!snapshot) return;
    this.sequence = snapshot.sequence;
    for (const certificate of snapshot.certificates) this.certificates.set(certificate.certificateId.toLowerCase(), certificate);
    for (const policy of snapshot.policies) this.policies.set(keyOf(policy.accountId, policy.policyName), policy);
    for (const thing of snapshot.things) this.things.set(keyOf(thing.accountId, thing.thingName), thing);
  }

  snapshot(): RegistrySnapshot {
    return {
      sequence: this.sequence,
      certificates: [...this.certificates.values()],
      policies: [...this.policies.values()],
      things: [...this.things.values()],
    };
  }

  // ---- certificates ------------------------------------------------------------

  addCertificate(caller: Caller, created: NewCertificate, now: number): StoredCertificate {
    this.sequence += 1;
    const certificate: StoredCertificate = {
      certificateId: created.certificateId,
      region: caller.region,
      sequence: this.sequence,
      status: created.setAsActive ? 'ACTIVE' : 'INACTIVE',
      certificatePem: created.certificatePem,
      ownedBy: caller.accountId,
      creationDate: now,
      lastModifiedDate: now,
      customerVersion: 1,
      generationId: newGenerationId(),
      notBefore: created.notBefore,
      notAfter: created.notAfter,
      policies: [],
      things: [],
    };
    this.certificates.set(certificate.certificateId, certificate);
    this.changed();
    return certificate;
  }

  describeCertificate(caller: Caller, certificateId: string): StoredCertificate {
    return this.visibleCertificate(caller, certificateId);
  }

  /** The caller's own certificates and those offered to it, newest first unless ascendingOrder. */
  listCertificates(caller: Caller, request: ListRequest): Page<StoredCertificate> {
    const visible = [...this.certificates.values()].filter((certificate) => this.isVisible(caller, certificate));
    return this.pageOfCertificates(visible, request);
  }

  /** The caller's certificates that are pending transfer to another account. */
  listOutgoingCertificates(caller: Caller, request: ListRequest): Page<StoredCertificate> {
    const outgoing = [...this.certificates.values()].filter(
      (certificate) => certificate.ownedBy === caller.accountId && certificate.status === 'PENDING_TRANSFER',
    );
    return this.pageOfCertificates(outgoing, request);
  }

  updateCertificate(caller: Caller, certificateId: string, newStatus: CertificateStatus, now: number): void {
    const certificate = this.visibleCertificate(caller, certificateId);
    if (RESERVED_STATUSES.includes(newStatus)) {
      throw new IotServiceError('InvalidRequestException', `newStatus: ${newStatus} is used internally by AWS IoT and cannot be set`);
    }
    this.refuseWhilePendingTransfer(certificate);
    if (certificate.status === newStatus) return;
    if (certificate.status === 'REVOKED') {
      throw new IotServiceError('CertificateStateException', `Certificate ${certificateId} is REVOKED and cannot be set to ${newStatus}`);
    }
    certificate.status = newStatus;
    this.touch(certificate, now);
  }

  deleteCertificate(caller: Caller, certificateId: string, forceDelete: boolean): void {
    const certificate = this.visibleCertificate(caller, certificateId);
    this.refuseWhilePendingTransfer(certificate);
    if (certificate.status === 'ACTIVE') {
      throw new IotServiceError('CertificateStateException', `Certificate ${certificateId} is ACTIVE; deactivate it before deleting it`);
    }
    if (certificate.things.length > 0) {
      throw new IotServiceError('DeleteConflictException', `Certificate ${certificateId} is attached to things: ${certificate.things.join(', ')}`);
    }
    if (certificate.policies.length > 0 && !forceDelete) {
      throw new IotServiceError('DeleteConflictException', `Certificate ${certificateId} has policies attached: ${certificate.policies.join(', ')}`);
    }
    this.certificates.delete(certificate.certificateId);
    this.changed();
  }

  // ---- transfers -----------------------------------------------------------------

  transferCertificate(caller: Caller, certificateId: string, targetAwsAccount: string, transferMessage: string | undefined, now: number): string {
    const certificate = this.visibleCertificate(caller, certificateId);
    this.refuseWhilePendingTransfer(certificate);
    if (targetAwsAccount === caller.accountId) {
      throw new IotServiceError('InvalidRequestException', 'targetAwsAccount: must be another account than the owner of the certificate');
    }
    if (certificate.status === 'ACTIVE') {
      throw new IotServiceError('CertificateStateException', `Certificate ${certificateId} is ACTIVE; deactivate it before transferring it`);
    }
    if (certificate.policies.length > 0) {
      throw new IotServiceError('TransferConflictException', `Certificate ${certificateId} has policies attached: ${certificate.policies.join(', ')}`);
    }
    certificate.status = 'PENDING_TRANSFER';
    certificate.pendingTransferTo = targetAwsAccount;
    certificate.transferData = { transferMessage, transferDate: now };
    this.touch(certificate, now);
    return certificateArn(certificate, targetAwsAccount);
  }

  acceptCertificateTransfer(caller: Caller, certificateId: string, setAsActive: boolean, now: number): void {
    const certificate = this.transferToActOn(caller, certificateId, 'accept');
    const source = certificate.ownedBy;
    certificate.previousOwnedBy = source;
    certificate.ownedBy = caller.accountId;
    certificate.pendingTransferTo = undefined;
    certificate.status = setAsActive ? 'ACTIVE' : 'INACTIVE';
    certificate.transferData = { ...certificate.transferData, acceptDate: now };
    // The source's things cannot hold another account's certificate.
    certificate.things = [];
    this.touch(certificate, now);
  }

  rejectCertificateTransfer(caller: Caller, certificateId: string, rejectReason: string | undefined, now: number): void {
    const certificate = this.transferToActOn(caller, certificateId, 'reject');
    certificate.pendingTransferTo = undefined;
    certificate.status = 'INACTIVE';
    certificate.transferData = { ...certificate.transferData, rejectReason, rejectDate: now };
    this.touch(certificate, now);
  }

  cancelCertificateTransfer(caller: Caller, certificateId: string, now: number): void {
    const certificate = this.transferToActOn(caller, certificateId, 'cancel');
    certificate.pendingTransferTo = undefined;
    certificate.status = 'INACTIVE';
    this.touch(certificate, now);
  }

  // ---- policies ------------------------------------------------------------------

  createPolicy(caller: Caller, policyName: string, policyDocument: string, now: number): StoredPolicy {
    try {
      JSON.parse(policyDocument);
    } catch {
      throw new IotServiceError('MalformedPolicyException', 'policyDocument: must be a JSON policy document');
    }
    const key = keyOf(caller.accountId, policyName);
    const existing = this.policies.get(key);
    if (existing) {
      throw new IotServiceError('ResourceAlreadyExistsException', `Policy ${policyName} already exists`, {
        resourceId: policyName,
        resourceArn: policyArn(existing),
      });
    }
    const policy: StoredPolicy = { accountId: caller.accountId, region: caller.region, policyName, policyDocument, policyVersionId: '1', creationDate: now };
    this.policies.set(key, policy);
    this.changed();
    return policy;
  }

  attachPolicy(caller: Caller, policyName: string, target: string): void {
    const policy = this.ownPolicy(caller, policyName);
    const certificate = this.ownCertificateByArn(caller, target, 'target');
    if (certificate.status === 'PENDING_TRANSFER') {
      throw new IotServiceError('InvalidRequestException', `Certificate ${certificate.certificateId} is PENDING_TRANSFER; no policy can be attached to it`);
    }
    if (certificate.policies.includes(policy.policyName)) return;
    certificate.policies.push(policy.policyName);
    this.changed();
  }

  detachPolicy(caller: Caller, policyName: string, target: string): void {
    const policy = this.ownPolicy(caller, policyName);
    const certificate = this.ownCertificateByArn(caller, target, 'target');
    const index = certificate.policies.indexOf(policy.policyName);
    if (index < 0) return;
    certificate.policies.splice(index, 1);
    this.changed();
  }

  listAttachedPolicies(caller: Caller, target: string, request: { pageSize?: number; marker?: string }): Page<StoredPolicy> {
    const certificate = this.ownCertificateByArn(caller, target, 'target');
    const attached = certificate.policies
      .map((name, index) => ({ index, policy: this.policies.get(keyOf(caller.accountId, name)) }))
      .filter((entry): entry is { index: number; policy: StoredPolicy } => entry.policy !== undefined);
    const page = pageOf(attached, (entry) => entry.index, { pageSize: request.pageSize ?? DEFAULT_PAGE_SIZE, marker: request.marker, markerField: 'marker' });
    return { items: page.items.map((entry) => entry.policy), nextMarker: page.nextMarker };
  }

  // ---- things --------------------------------------------------------------------

  /** Creating the same thing again with the same configuration succeeds, as in AWS. */
  createThing(caller: Caller, thingName: string, thingTypeName: string | undefined, attributes: Record<string, string>): StoredThing {
    const key = keyOf(caller.accountId, thingName);
    const existing = this.things.get(key);
    if (existing) {
      if (existing.thingTypeName === thingTypeName && sameAttributes(existing.attributes, attributes)) return existing;
      throw new IotServiceError('ResourceAlreadyExistsException', `Thing ${thingName} already exists with a different configuration`, {
        resourceId: existing.thingId,
        resourceArn: thingArn(existing),
      });
    }
    const thing: StoredThing = { accountId: caller.accountId, region: caller.region, thingName, thingId: randomUUID(), thingTypeName, attributes };
    this.things.set(key, thing);
    this.changed();
    return thing;
  }

  attachThingPrincipal(caller: Caller, thingName: string, principal: string): void {
    const thing = this.ownThing(caller, thingName);
    const certificate = this.ownCertificateByArn(caller, principal, 'principal');
    if (certificate.things.includes(thing.thingName)) return;
    certificate.things.push(thing.thingName);
    this.changed();
  }

  detachThingPrincipal(caller: Caller, thingName: string, principal: string): void {
    const thing = this.ownThing(caller, thingName);
    const certificate = this.ownCertificateByArn(caller, principal, 'principal');
    const index = certificate.things.indexOf(thing.thingName);
    if (index < 0) return;
    certificate.things.splice(index, 1);
    this.changed();
  }

  listPrincipalThings(caller: Caller, principal: string, request: { maxResults?: number; nextToken?: string }): Page<string> {
    const certificate = this.ownCertificateByArn(caller, principal, 'principal');
    const entries = certificate.things.map((name, index) => ({ name, index }));
    const page = pageOf(entries, (entry) => entry.index, { pageSize: request.maxResults ?? DEFAULT_PAGE_SIZE, marker: request.nextToken, markerField: 'nextToken' });
    return { items: page.items.map((entry) => entry.name), nextMarker: page.nextMarker };
  }

  // ---- rules shared by the Actions -------------------------------------------------

  private isVisible(caller: Caller, certificate: StoredCertificate): boolean {
    return certificate.ownedBy === caller.accountId || (certificate.status === 'PENDING_TRANSFER' && certificate.pendingTransferTo === caller.accountId);
  }

  private visibleCertificate(caller: Caller, certificateId: string): StoredCertificate {
    const certificate = this.certificates.get(certificateId.toLowerCase());
    if (!certificate || !this.isVisible(caller, certificate)) {
      throw new IotServiceError('ResourceNotFoundException', `The certificate ${certificateId} does not exist`);
    }
    return certificate;
  }

  private refuseWhilePendingTransfer(certificate: StoredCertificate): void {
    if (certificate.status === 'PENDING_TRANSFER') {
      throw new IotServiceError('CertificateStateException', `Certificate ${certificate.certificateId} is PENDING_TRANSFER`);
    }
  }

  /**
   * The certificate whose pending transfer the caller may accept, reject (the target)
   * or cancel (the source). A side acting for the other gets UnauthorizedException; a
   * transfer that has ended gets TransferAlreadyCompletedException.
   */
  private transferToActOn(caller: Caller, certificateId: string, action: TransferAction): StoredCertificate {
    const certificate = this.certificates.get(certificateId.toLowerCase());
    const acceptedAway = certificate?.previousOwnedBy === caller.accountId && certificate.transferData?.acceptDate !== undefined;
    if (!certificate || (!this.isVisible(caller, certificate) && !acceptedAway)) {
      throw new IotServiceError('ResourceNotFoundException', `The certificate ${certificateId} does not exist`);
    }
    if (certificate.status === 'PENDING_TRANSFER') {
      const mayAct = action === 'cancel' ? certificate.ownedBy === caller.accountId : certificate.pendingTransferTo === caller.accountId;
      if (!mayAct) {
        const side = action === 'cancel' ? 'source' : 'target';
        throw new IotServiceError('UnauthorizedException', `Only the transfer ${side} account can ${action} the transfer of certificate ${certificateId}`);
      }
      return certificate;
    }
    if (certificate.transferData !== undefined) {
      throw new IotServiceError('TransferAlreadyCompletedException', `The transfer of certificate ${certificateId} is already complete`);
    }
    throw new IotServiceError('InvalidRequestException', `Certificate ${certificateId} has no pending transfer`);
  }

  private ownCertificateByArn(caller: Caller, arn: string, field: string): StoredCertificate {
    const match = CERTIFICATE_ARN.exec(arn);
    if (!match) {
      throw new IotServiceError('InvalidRequestException', `${field}: must be a certificate ARN (arn:aws:iot:<region>:<account>:cert/<certificateId>)`);
    }
    const certificate = this.certificates.get((match[2] ?? '').toLowerCase());
    if (!certificate || match[1] !== caller.accountId || certificate.ownedBy !== caller.accountId) {
      throw new IotServiceError('ResourceNotFoundException', `The certificate ${arn} does not exist`);
    }
    return certificate;
  }

  private ownPolicy(caller: Caller, policyName: string): StoredPolicy {
    const policy = this.policies.get(keyOf(caller.accountId, policyName));
    if (!policy) throw new IotServiceError('ResourceNotFoundException', `The policy ${policyName} does not exist`);
    return policy;
  }

  private ownThing(caller: Caller, thingName: string): StoredThing {
    const thing = this.things.get(keyOf(caller.accountId, thingName));
    if (!thing) throw new IotServiceError('ResourceNotFoundException', `The thing ${thingName} does not exist`);
    return thing;
  }

  private pageOfCertificates(certificates: StoredCertificate[], request: ListRequest): Page<StoredCertificate> {
    const descending = !request.ascendingOrder;
    const sorted = certificates.sort((left, right) => (descending ? right.sequence - left.sequence : left.sequence - right.sequence));
    return pageOf(sorted, (certificate) => certificate.sequence, {
      pageSize: request.pageSize ?? DEFAULT_PAGE_SIZE,
      marker: request.marker,
      markerField: 'marker',
      descending,
    });
  }

  private touch(certificate: StoredCertificate, now: number): void {
    certificate.lastModifiedDate = now;
    certificate.customerVersion += 1;
    certificate.generationId = newGenerationId();
    this.changed();
  }

  private changed(): void {
    this.revision += 1;
  }
}
