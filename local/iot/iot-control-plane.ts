import { certificateArn, policyArn, thingArn, type Caller, type CertificateRegistry, type StoredCertificate } from './certificate-registry';
import type { DeviceKeyPairs } from './device-key-pairs';
import type { IotCall } from './iot-routes';
import type { LocalCertificateAuthority } from './x509-certificates';

/**
 * Runs an IoT Action against the registry and shapes its response as the REST API
 * does: timestamps as epoch seconds, absent members left out, and no body at all for
 * the Actions whose output is empty.
 */

export type ResponseBody = Record<string, unknown> | undefined;

function epochSeconds(milliseconds: number | undefined): number | undefined {
  return milliseconds === undefined ? undefined : milliseconds / 1000;
}

/** The account a certificate is offered to sees it under its own ARN, as TransferCertificate's answer names it. */
function arnSeenBy(certificate: StoredCertificate, viewer: Caller): string {
  return certificateArn(certificate, certificate.ownedBy === viewer.accountId ? certificate.ownedBy : viewer.accountId);
}

function certificateSummary(certificate: StoredCertificate, viewer: Caller): Record<string, unknown> {
  return {
    certificateArn: arnSeenBy(certificate, viewer),
    certificateId: certificate.certificateId,
    status: certificate.status,
    certificateMode: 'DEFAULT',
    creationDate: epochSeconds(certificate.creationDate),
  };
}

function certificateDescription(certificate: StoredCertificate, viewer: Caller): Record<string, unknown> {
  const transfer = certificate.transferData;
  return {
    certificateArn: arnSeenBy(certificate, viewer),
    certificateId: certificate.certificateId,
    status: certificate.status,
    certificatePem: certificate.certificatePem,
    ownedBy: certificate.ownedBy,
    previousOwnedBy: certificate.previousOwnedBy,
    creationDate: epochSeconds(certificate.creationDate),
    lastModifiedDate: epochSeconds(certificate.lastModifiedDate),
    customerVersion: certificate.customerVersion,
    transferData: transfer && {
      transferMessage: transfer.transferMessage,
      rejectReason: transfer.rejectReason,
      transferDate: epochSeconds(transfer.transferDate),
      acceptDate: epochSeconds(transfer.acceptDate),
      rejectDate: epochSeconds(transfer.rejectDate),
    },
    generationId: certificate.generationId,
    validity: { notBefore: epochSeconds(certificate.notBefore), notAfter: epochSeconds(certificate.notAfter) },
    certificateMode: 'DEFAULT',
  };
}

export class IotControlPlane {
  constructor(
    readonly registry: CertificateRegistry,
    private readonly authority: LocalCertificateAuthority,
    private readonly keyPairs: DeviceKeyPairs,
    private readonly now: () => Date,
  ) {}

  async execute(caller: Caller, call: IotCall): Promise<ResponseBody> {
    const registry = this.registry;
    const now = this.now().getTime();
    switch (call.operation) {
      case 'CreateKeysAndCertificate': {
        const keyPair = await this.keyPairs.next();
        const issued = this.authority.issue(keyPair.publicKeyPem, this.now());
        const certificate = registry.addCertificate(
          caller,
          {
            certificateId: issued.certificateId,
            certificatePem: issued.certificatePem,
            notBefore: issued.notBefore.getTime(),
            notAfter: issued.notAfter.getTime(),
            setAsActive: call.input.setAsActive,
          },
          this.now().getTime(),
        );
        return {
          certificateArn: certificateArn(certificate),
          certificateId: certificate.certificateId,
          certificatePem: certificate.certificatePem,
          keyPair: { PublicKey: keyPair.publicKeyPem, PrivateKey: keyPair.privateKeyPem },
        };
      }
      case 'DescribeCertificate':
        return { certificateDescription: certificateDescription(registry.describeCertificate(caller, call.input.certificateId), caller) };
      case 'ListCertificates': {
        const page = registry.listCertificates(caller, call.input);
        return { certificates: page.items.map((certificate) => certificateSummary(certificate, caller)), nextMarker: page.nextMarker };
      }
      case 'ListOutgoingCertificates': {
        const page = registry.listOutgoingCertificates(caller, call.input);
        return {
          outgoingCertificates: page.items.map((certificate) => ({
            certificateArn: certificateArn(certificate),
            certificateId: certificate.certificateId,
            transferredTo: certificate.pendingTransferTo,
            transferDate: epochSeconds(certificate.transferData?.transferDate),
            transferMessage: certificate.transferData?.transferMessage,
            creationDate: epochSeconds(certificate.creationDate),
          })),
          nextMarker: page.nextMarker,
        };
      }
      case 'UpdateCertificate':
        registry.updateCertificate(caller, call.input.certificateId, call.input.newStatus, now);
        return undefined;
      case 'DeleteCertificate':
        registry.deleteCertificate(caller, call.input.certificateId, call.input.forceDelete);
        return undefined;
      case 'TransferCertificate':
        return {
          transferredCertificateArn: registry.transferCertificate(caller, call.input.certificateId, call.input.targetAwsAccount, call.input.transferMessage, now),
        };
      case 'AcceptCertificateTransfer':
        registry.acceptCertificateTransfer(caller, call.input.certificateId, call.input.setAsActive, now);
        return undefined;
      case 'RejectCertificateTransfer':
        registry.rejectCertificateTransfer(caller, call.input.certificateId, call.input.rejectReason, now);
        return undefined;
      case 'CancelCertificateTransfer':
        registry.cancelCertificateTransfer(caller, call.input.certificateId, now);
        return undefined;
      case 'CreatePolicy': {
        const policy = registry.createPolicy(caller, call.input.policyName, call.input.policyDocument, now);
        return { policyName: policy.policyName, policyArn: policyArn(policy), policyDocument: policy.policyDocument, policyVersionId: policy.policyVersionId };
      }
      case 'AttachPolicy':
        registry.attachPolicy(caller, call.input.policyName, call.input.target);
        return undefined;
      case 'DetachPolicy':
        registry.detachPolicy(caller, call.input.policyName, call.input.target);
        return undefined;
      case 'ListAttachedPolicies': {
        const page = registry.listAttachedPolicies(caller, call.input.target, call.input);
        return { policies: page.items.map((policy) => ({ policyName: policy.policyName, policyArn: policyArn(policy) })), nextMarker: page.nextMarker };
      }
      case 'CreateThing': {
        const thing = registry.createThing(caller, call.input.thingName, call.input.thingTypeName, call.input.attributes);
        return { thingName: thing.thingName, thingArn: thingArn(thing), thingId: thing.thingId };
      }
      case 'AttachThingPrincipal':
        registry.attachThingPrincipal(caller, call.input.thingName, call.input.principal);
        return {};
      case 'DetachThingPrincipal':
        registry.detachThingPrincipal(caller, call.input.thingName, call.input.principal);
        return {};
      case 'ListPrincipalThings': {
        const page = registry.listPrincipalThings(caller, call.input.principal, call.input);
        return { things: page.items, nextToken: page.nextMarker };
      }
    }
  }
}
