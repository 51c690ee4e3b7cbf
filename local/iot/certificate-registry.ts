import { randomBytes } from 'node:crypto';
import type { CertificateStatus } from '../../lambdas/iot-api/field-rules';
import { IotServiceError } from './iot-errors';
import { pageOf, type Page } from './list-pages';
import { RegistryStore, type EntityTable } from './registry-store';
import {
  accountKey,
  certificateArn,
  certificateKey,
  policyArn,
  type CertificateMode,
  type StoredCertificate,
  type StoredPolicy,
  type StoredThing,
  type ThingPrincipalType,
} from './registry-rows';

/**
 * Certificates, policies and what is attached to them, in every account the endpoint
 * plays, with the certificate-transfer state machine. Pure state: no HTTP, no clock of
 * its own (times come in as epoch milliseconds), and every refusal is an
 * IotServiceError named as AWS names it.
 *
 * Who sees a certificate: its owner, and while it is PENDING_TRANSFER also the account
 * it is offered to. After an accepted transfer the previous owner no longer sees it,
 * but is told TransferAlreadyCompletedException if it tries to act on the transfer.
 */

export type { StoredCertificate, StoredPolicy, StoredThing, TransferRecord, RegistrySnapshot } from './registry-rows';
export { certificateArn, policyArn, thingArn } from './registry-rows';

export interface Caller {
  accountId: string;
  region: string;
}

export interface NewCertificate {
  certificateId: string;
  certificatePem: string;
  notBefore: number;
  notAfter: number;
  setAsActive?: boolean;
  /** Overrides setAsActive: RegisterCertificate's `status`. */
  status?: CertificateStatus;
  caCertificateId?: string;
  certificateMode?: CertificateMode;
}

export interface ListRequest {
  pageSize?: number;
  marker?: string;
  ascendingOrder?: boolean;
}

export const DEFAULT_PAGE_SIZE = 25;
/** "Maximum number of policies that can be attached to a certificate": 10 (AWS IoT Core quotas, security and identity). */
export const POLICIES_PER_CERTIFICATE = 10;
/** CreatePolicy: "policyDocument must have a minimum length of 1, with a maximum length of 2048, excluding whitespace." */
export const POLICY_DOCUMENT_MAX_CHARACTERS = 2048;

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:iot:[a-z0-9-]+:([0-9]{12}):cert\/([a-fA-F0-9]{64})$/;

type TransferAction = 'accept' | 'reject' | 'cancel';

const RESERVED_STATUSES: readonly CertificateStatus[] = ['PENDING_TRANSFER', 'PENDING_ACTIVATION'];

export function newGenerationId(): string {
  return randomBytes(16).toString('hex');
}

/** Characters of a policy document that count towards its limit: all but whitespace. */
export function policyDocumentCharacters(policyDocument: string): number {
  return policyDocument.replace(/\s/g, '').length;
}

export class CertificateRegistry {
  readonly certificates: EntityTable<StoredCertificate>;
  readonly policies: EntityTable<StoredPolicy>;
  readonly things: EntityTable<StoredThing>;

  constructor(readonly store: RegistryStore = new RegistryStore()) {
    this.certificates = store.table('certificate');
    this.policies = store.table('policy');
    this.things = store.table('thing');
  }

  // ---- certificates ------------------------------------------------------------

  addCertificate(caller: Caller, created: NewCertificate, now: number): StoredCertificate {
    const certificate: StoredCertificate = {
      certificateId: created.certificateId,
      region: caller.region,
      sequence: this.store.nextSequence(),
      status: created.status ?? (created.setAsActive ? 'ACTIVE' : 'INACTIVE'),
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
      caCertificateId: created.caCertificateId,
      certificateMode: created.certificateMode,
    };
    this.certificates.put(certificateKey(certificate.certificateId), certificate);
    return certificate;
  }

  /** The certificate of that id in any account, for RegisterCertificate's duplicate check. */
  findCertificate(certificateId: string): StoredCertificate | undefined {
    return this.certificates.get(certificateKey(certificateId));
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

  /** The caller's certificates signed by the registered CA of that id. */
  listCertificatesByCa(caller: Caller, caCertificateId: string, request: ListRequest): Page<StoredCertificate> {
    const id = caCertificateId.toLowerCase();
    const signed = [...this.certificates.values()].filter(
      (certificate) => certificate.ownedBy === caller.accountId && certificate.caCertificateId?.toLowerCase() === id,
    );
    return this.pageOfCertificates(signed, request);
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
      throw new IotServiceError(
        'DeleteConflictException',
        `Certificate ${certificateId} is attached to things: ${certificate.things.join(', ')}`,
      );
    }
    if (certificate.policies.length > 0 && !forceDelete) {
      throw new IotServiceError(
        'DeleteConflictException',
        `Certificate ${certificateId} has policies attached: ${certificate.policies.join(', ')}`,
      );
    }
    this.certificates.delete(certificateKey(certificate.certificateId));
  }

  // ---- transfers -----------------------------------------------------------------

  /**
   * The API reference requires a certificate that is not ACTIVE and has no policy
   * attached; the developer guide's procedure also detaches it from every thing
   * first. A thing still attached is refused with TransferConflictException, the
   * model's error for attachments that block a transfer.
   */
  transferCertificate(
    caller: Caller,
    certificateId: string,
    targetAwsAccount: string,
    transferMessage: string | undefined,
    now: number,
  ): string {
    const certificate = this.visibleCertificate(caller, certificateId);
    this.refuseWhilePendingTransfer(certificate);
    if (targetAwsAccount === caller.accountId) {
      throw new IotServiceError('InvalidRequestException', 'targetAwsAccount: must be another account than the owner of the certificate');
    }
    if (certificate.status === 'ACTIVE') {
      throw new IotServiceError(
        'CertificateStateException',
        `Certificate ${certificateId} is ACTIVE; deactivate it before transferring it`,
      );
    }
    if (certificate.policies.length > 0) {
      throw new IotServiceError(
        'TransferConflictException',
        `Certificate ${certificateId} has policies attached: ${certificate.policies.join(', ')}`,
      );
    }
    if (certificate.things.length > 0) {
      throw new IotServiceError(
        'TransferConflictException',
        `Certificate ${certificateId} is attached to things: ${certificate.things.join(', ')}`,
      );
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
    // The source's things cannot hold another account's certificate (state files written before transfers refused attached things).
    certificate.things = [];
    certificate.exclusiveThings = undefined;
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

  createPolicy(caller: Caller, policyName: string, policyDocument: string, tags: StoredPolicy['tags'], now: number): StoredPolicy {
    const characters = policyDocumentCharacters(policyDocument);
    if (characters < 1 || characters > POLICY_DOCUMENT_MAX_CHARACTERS) {
      throw new IotServiceError(
        'InvalidRequestException',
        `policyDocument: must have from 1 to ${POLICY_DOCUMENT_MAX_CHARACTERS} characters, excluding whitespace (got ${characters})`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(policyDocument);
    } catch {
      throw new IotServiceError('MalformedPolicyException', 'policyDocument: must be a JSON policy document');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new IotServiceError('MalformedPolicyException', 'policyDocument: must be a JSON object');
    }
    const key = accountKey(caller.accountId, policyName);
    const existing = this.policies.get(key);
    if (existing) {
      throw new IotServiceError('ResourceAlreadyExistsException', `Policy ${policyName} already exists`, {
        resourceId: policyName,
        resourceArn: policyArn(existing),
      });
    }
    const policy: StoredPolicy = {
      accountId: caller.accountId,
      region: caller.region,
      policyName,
      policyDocument,
      policyVersionId: '1',
      creationDate: now,
      lastModifiedDate: now,
      generationId: newGenerationId(),
      sequence: this.store.nextSequence(),
      tags,
    };
    this.policies.put(key, policy);
    return policy;
  }

  getPolicy(caller: Caller, policyName: string): StoredPolicy {
    return this.ownPolicy(caller, policyName);
  }

  /** The caller's policies in creation order, newest first unless ascendingOrder. */
  listPolicies(caller: Caller, request: ListRequest): Page<StoredPolicy> {
    const descending = !request.ascendingOrder;
    const own = [...this.policies.values()]
      .filter((policy) => policy.accountId === caller.accountId)
      .sort((left, right) => (descending ? policySequence(right) - policySequence(left) : policySequence(left) - policySequence(right)));
    return pageOf(own, policySequence, {
      pageSize: request.pageSize ?? DEFAULT_PAGE_SIZE,
      marker: request.marker,
      markerField: 'marker',
      descending,
    });
  }

  /** ARNs of the caller's certificates the policy is attached to, oldest certificate first. */
  listTargetsForPolicy(caller: Caller, policyName: string, request: { pageSize?: number; marker?: string }): Page<string> {
    const policy = this.ownPolicy(caller, policyName);
    const targets = [...this.certificates.values()]
      .filter((certificate) => certificate.ownedBy === caller.accountId && certificate.policies.includes(policy.policyName))
      .sort((left, right) => left.sequence - right.sequence);
    const page = pageOf(targets, (certificate) => certificate.sequence, {
      pageSize: request.pageSize ?? DEFAULT_PAGE_SIZE,
      marker: request.marker,
      markerField: 'marker',
    });
    return { items: page.items.map((certificate) => certificateArn(certificate)), nextMarker: page.nextMarker };
  }

  attachPolicy(caller: Caller, policyName: string, target: string): void {
    const policy = this.ownPolicy(caller, policyName);
    const certificate = this.ownCertificateByArn(caller, target, 'target');
    if (certificate.status === 'PENDING_TRANSFER') {
      throw new IotServiceError(
        'InvalidRequestException',
        `Certificate ${certificate.certificateId} is PENDING_TRANSFER; no policy can be attached to it`,
      );
    }
    if (certificate.policies.includes(policy.policyName)) return;
    if (certificate.policies.length >= POLICIES_PER_CERTIFICATE) {
      throw new IotServiceError(
        'LimitExceededException',
        `Certificate ${certificate.certificateId} already has ${POLICIES_PER_CERTIFICATE} policies attached`,
      );
    }
    certificate.policies.push(policy.policyName);
    this.certificates.changed(certificateKey(certificate.certificateId));
  }

  /**
   * The model gives DetachPolicy no ResourceNotFoundException, and AWS documents no
   * answer for a policy that does not exist or is not attached: both leave the target
   * without the policy, so both succeed and change nothing.
   */
  detachPolicy(caller: Caller, policyName: string, target: string): void {
    const match = this.parseCertificateArn(target, 'target');
    const certificate = this.certificates.get(certificateKey(match.certificateId));
    if (!certificate || match.accountId !== caller.accountId || certificate.ownedBy !== caller.accountId) return;
    const index = certificate.policies.indexOf(policyName);
    if (index < 0) return;
    certificate.policies.splice(index, 1);
    this.certificates.changed(certificateKey(certificate.certificateId));
  }

  listAttachedPolicies(caller: Caller, target: string, request: { pageSize?: number; marker?: string }): Page<StoredPolicy> {
    const certificate = this.ownCertificateByArn(caller, target, 'target');
    const attached = certificate.policies
      .map((name, index) => ({ index, policy: this.policies.get(accountKey(caller.accountId, name)) }))
      .filter((entry): entry is { index: number; policy: StoredPolicy } => entry.policy !== undefined);
    const page = pageOf(attached, (entry) => entry.index, {
      pageSize: request.pageSize ?? DEFAULT_PAGE_SIZE,
      marker: request.marker,
      markerField: 'marker',
    });
    return { items: page.items.map((entry) => entry.policy), nextMarker: page.nextMarker };
  }

  // ---- things and their principals -------------------------------------------------

  /**
   * EXCLUSIVE_THING makes the thing the only one attached to the principal, so it is
   * refused while the principal has another thing, and no other thing is attached to
   * a principal that has an exclusive one (what AWS answers then is undocumented).
   */
  attachThingPrincipal(caller: Caller, thingName: string, principal: string, principalType: ThingPrincipalType): void {
    const thing = this.ownThing(caller, thingName);
    const certificate = this.ownCertificateByArn(caller, principal, 'principal');
    if (certificate.status === 'PENDING_TRANSFER') {
      throw new IotServiceError(
        'InvalidRequestException',
        `Certificate ${certificate.certificateId} is PENDING_TRANSFER; it cannot be attached to a thing`,
      );
    }
    const others = certificate.things.filter((name) => name !== thing.thingName);
    const exclusive = certificate.exclusiveThings ?? [];
    if (principalType === 'EXCLUSIVE_THING' && others.length > 0) {
      throw new IotServiceError(
        'InvalidRequestException',
        `The principal is attached to other things (${others.join(', ')}); it cannot be attached exclusively`,
      );
    }
    if (others.some((name) => exclusive.includes(name))) {
      throw new IotServiceError('InvalidRequestException', `The principal is attached exclusively to thing ${exclusive.join(', ')}`);
    }
    if (!certificate.things.includes(thing.thingName)) certificate.things.push(thing.thingName);
    const rest = exclusive.filter((name) => name !== thing.thingName);
    certificate.exclusiveThings = principalType === 'EXCLUSIVE_THING' ? [...rest, thing.thingName] : rest.length > 0 ? rest : undefined;
    this.certificates.changed(certificateKey(certificate.certificateId));
  }

  detachThingPrincipal(caller: Caller, thingName: string, principal: string): void {
    const thing = this.ownThing(caller, thingName);
    const certificate = this.ownCertificateByArn(caller, principal, 'principal');
    const index = certificate.things.indexOf(thing.thingName);
    if (index < 0) return;
    certificate.things.splice(index, 1);
    const exclusive = (certificate.exclusiveThings ?? []).filter((name) => name !== thing.thingName);
    certificate.exclusiveThings = exclusive.length > 0 ? exclusive : undefined;
    this.certificates.changed(certificateKey(certificate.certificateId));
  }

  listPrincipalThings(caller: Caller, principal: string, request: { maxResults?: number; nextToken?: string }): Page<string> {
    const certificate = this.ownCertificateByArn(caller, principal, 'principal');
    const entries = certificate.things.map((name, index) => ({ name, index }));
    const page = pageOf(entries, (entry) => entry.index, {
      pageSize: request.maxResults ?? DEFAULT_PAGE_SIZE,
      marker: request.nextToken,
      markerField: 'nextToken',
    });
    return { items: page.items.map((entry) => entry.name), nextMarker: page.nextMarker };
  }

  /** The principals attached to a thing, oldest certificate first, with how each is attached. */
  listThingPrincipals(
    caller: Caller,
    thingName: string,
    request: { maxResults?: number; nextToken?: string; principalType?: ThingPrincipalType },
  ): Page<{ principal: string; thingPrincipalType: ThingPrincipalType }> {
    const thing = this.ownThing(caller, thingName);
    const attached = this.certificatesAttachedTo(thing)
      .map((certificate) => ({
        certificate,
        thingPrincipalType: (certificate.exclusiveThings ?? []).includes(thing.thingName)
          ? ('EXCLUSIVE_THING' as const)
          : ('NON_EXCLUSIVE_THING' as const),
      }))
      .filter((entry) => request.principalType === undefined || entry.thingPrincipalType === request.principalType);
    const page = pageOf(attached, (entry) => entry.certificate.sequence, {
      pageSize: request.maxResults ?? DEFAULT_PAGE_SIZE,
      marker: request.nextToken,
      markerField: 'nextToken',
    });
    return {
      items: page.items.map((entry) => ({ principal: certificateArn(entry.certificate), thingPrincipalType: entry.thingPrincipalType })),
      nextMarker: page.nextMarker,
    };
  }

  certificatesAttachedTo(thing: StoredThing): StoredCertificate[] {
    return [...this.certificates.values()]
      .filter((certificate) => certificate.ownedBy === thing.accountId && certificate.things.includes(thing.thingName))
      .sort((left, right) => left.sequence - right.sequence);
  }

  ownThing(caller: Caller, thingName: string): StoredThing {
    const thing = this.things.get(accountKey(caller.accountId, thingName));
    if (!thing) throw new IotServiceError('ResourceNotFoundException', `The thing ${thingName} does not exist`);
    return thing;
  }

  // ---- rules shared by the Actions -------------------------------------------------

  private isVisible(caller: Caller, certificate: StoredCertificate): boolean {
    return (
      certificate.ownedBy === caller.accountId ||
      (certificate.status === 'PENDING_TRANSFER' && certificate.pendingTransferTo === caller.accountId)
    );
  }

  private visibleCertificate(caller: Caller, certificateId: string): StoredCertificate {
    const certificate = this.certificates.get(certificateKey(certificateId));
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
    const certificate = this.certificates.get(certificateKey(certificateId));
    const acceptedAway = certificate?.previousOwnedBy === caller.accountId && certificate.transferData?.acceptDate !== undefined;
    if (!certificate || (!this.isVisible(caller, certificate) && !acceptedAway)) {
      throw new IotServiceError('ResourceNotFoundException', `The certificate ${certificateId} does not exist`);
    }
    if (certificate.status === 'PENDING_TRANSFER') {
      const mayAct = action === 'cancel' ? certificate.ownedBy === caller.accountId : certificate.pendingTransferTo === caller.accountId;
      if (!mayAct) {
        const side = action === 'cancel' ? 'source' : 'target';
        throw new IotServiceError(
          'UnauthorizedException',
          `Only the transfer ${side} account can ${action} the transfer of certificate ${certificateId}`,
        );
      }
      return certificate;
    }
    if (certificate.transferData !== undefined) {
      throw new IotServiceError('TransferAlreadyCompletedException', `The transfer of certificate ${certificateId} is already complete`);
    }
    throw new IotServiceError('InvalidRequestException', `Certificate ${certificateId} has no pending transfer`);
  }

  private parseCertificateArn(arn: string, field: string): { accountId: string; certificateId: string } {
    const match = CERTIFICATE_ARN.exec(arn);
    if (!match) {
      throw new IotServiceError(
        'InvalidRequestException',
        `${field}: must be a certificate ARN (arn:aws:iot:<region>:<account>:cert/<certificateId>)`,
      );
    }
    return { accountId: match[1] ?? '', certificateId: match[2] ?? '' };
  }

  private ownCertificateByArn(caller: Caller, arn: string, field: string): StoredCertificate {
    const match = this.parseCertificateArn(arn, field);
    const certificate = this.certificates.get(certificateKey(match.certificateId));
    if (!certificate || match.accountId !== caller.accountId || certificate.ownedBy !== caller.accountId) {
      throw new IotServiceError('ResourceNotFoundException', `The certificate ${arn} does not exist`);
    }
    return certificate;
  }

  private ownPolicy(caller: Caller, policyName: string): StoredPolicy {
    const policy = this.policies.get(accountKey(caller.accountId, policyName));
    if (!policy) throw new IotServiceError('ResourceNotFoundException', `The policy ${policyName} does not exist`);
    return policy;
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
    this.certificates.changed(certificateKey(certificate.certificateId));
  }
}

/** Policies from state files written before policies had a sequence sort by creation time. */
function policySequence(policy: StoredPolicy): number {
  return policy.sequence ?? policy.creationDate;
}
