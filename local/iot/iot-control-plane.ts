import type { Caller } from './certificate-registry';
import type { DeviceKeyPairs } from './device-key-pairs';
import type { IotRegistry } from './iot-registry';
import type { IotCall } from './iot-routes';
import {
  billingGroupArn,
  caCertificateArn,
  certificateArn,
  policyArn,
  thingArn,
  thingTypeArn,
  type StoredCaCertificate,
  type StoredCertificate,
  type StoredPolicy,
  type StoredThing,
} from './registry-rows';
import { thingVersion } from './thing-registry';
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
    certificateMode: certificate.certificateMode ?? 'DEFAULT',
    creationDate: epochSeconds(certificate.creationDate),
  };
}

function certificateDescription(certificate: StoredCertificate, viewer: Caller): Record<string, unknown> {
  const transfer = certificate.transferData;
  return {
    certificateArn: arnSeenBy(certificate, viewer),
    certificateId: certificate.certificateId,
    caCertificateId: certificate.caCertificateId,
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
    certificateMode: certificate.certificateMode ?? 'DEFAULT',
  };
}

function caCertificateDescription(ca: StoredCaCertificate): Record<string, unknown> {
  return {
    certificateArn: caCertificateArn(ca),
    certificateId: ca.certificateId,
    status: ca.status,
    certificatePem: ca.certificatePem,
    ownedBy: ca.accountId,
    creationDate: epochSeconds(ca.creationDate),
    autoRegistrationStatus: ca.autoRegistrationStatus,
    lastModifiedDate: epochSeconds(ca.lastModifiedDate),
    customerVersion: ca.customerVersion,
    generationId: ca.generationId,
    validity: { notBefore: epochSeconds(ca.notBefore), notAfter: epochSeconds(ca.notAfter) },
    certificateMode: ca.certificateMode,
  };
}

function policySummary(policy: StoredPolicy): Record<string, unknown> {
  return { policyName: policy.policyName, policyArn: policyArn(policy) };
}

function thingDescription(thing: StoredThing): Record<string, unknown> {
  return {
    defaultClientId: thing.thingName,
    thingName: thing.thingName,
    thingId: thing.thingId,
    thingArn: thingArn(thing),
    thingTypeName: thing.thingTypeName,
    attributes: thing.attributes,
    version: thingVersion(thing),
    billingGroupName: thing.billingGroupName,
  };
}

export class IotControlPlane {
  constructor(
    readonly iot: IotRegistry,
    private readonly authority: LocalCertificateAuthority,
    private readonly keyPairs: DeviceKeyPairs,
    private readonly now: () => Date,
  ) {}

  async execute(caller: Caller, call: IotCall): Promise<ResponseBody> {
    const registry = this.iot.certificates;
    const things = this.iot.things;
    const cas = this.iot.caCertificates;
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
          transferredCertificateArn: registry.transferCertificate(
            caller,
            call.input.certificateId,
            call.input.targetAwsAccount,
            call.input.transferMessage,
            now,
          ),
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
        const policy = registry.createPolicy(caller, call.input.policyName, call.input.policyDocument, call.input.tags, now);
        return {
          policyName: policy.policyName,
          policyArn: policyArn(policy),
          policyDocument: policy.policyDocument,
          policyVersionId: policy.policyVersionId,
        };
      }
      case 'GetPolicy': {
        const policy = registry.getPolicy(caller, call.input.policyName);
        return {
          policyName: policy.policyName,
          policyArn: policyArn(policy),
          policyDocument: policy.policyDocument,
          defaultVersionId: policy.policyVersionId,
          creationDate: epochSeconds(policy.creationDate),
          lastModifiedDate: epochSeconds(policy.lastModifiedDate ?? policy.creationDate),
          generationId: policy.generationId,
        };
      }
      case 'ListPolicies': {
        const page = registry.listPolicies(caller, call.input);
        return { policies: page.items.map(policySummary), nextMarker: page.nextMarker };
      }
      case 'ListTargetsForPolicy': {
        const page = registry.listTargetsForPolicy(caller, call.input.policyName, call.input);
        return { targets: page.items, nextMarker: page.nextMarker };
      }
      case 'AttachPolicy':
        registry.attachPolicy(caller, call.input.policyName, call.input.target);
        return undefined;
      case 'DetachPolicy':
        registry.detachPolicy(caller, call.input.policyName, call.input.target);
        return undefined;
      case 'ListAttachedPolicies': {
        const page = registry.listAttachedPolicies(caller, call.input.target, call.input);
        return { policies: page.items.map(policySummary), nextMarker: page.nextMarker };
      }
      case 'CreateThing': {
        const thing = things.createThing(caller, call.input.thingName, call.input);
        return { thingName: thing.thingName, thingArn: thingArn(thing), thingId: thing.thingId };
      }
      case 'DescribeThing':
        return thingDescription(things.describeThing(caller, call.input.thingName));
      case 'UpdateThing':
        things.updateThing(caller, call.input.thingName, call.input);
        return {};
      case 'DeleteThing':
        things.deleteThing(caller, call.input.thingName, call.input.expectedVersion);
        return {};
      case 'CreateThingType': {
        const thingType = things.createThingType(caller, call.input.thingTypeName, call.input, now);
        return { thingTypeName: thingType.thingTypeName, thingTypeArn: thingTypeArn(thingType), thingTypeId: thingType.thingTypeId };
      }
      case 'DescribeThingType': {
        const thingType = things.describeThingType(caller, call.input.thingTypeName);
        return {
          thingTypeName: thingType.thingTypeName,
          thingTypeId: thingType.thingTypeId,
          thingTypeArn: thingTypeArn(thingType),
          thingTypeProperties: { thingTypeDescription: thingType.description, searchableAttributes: thingType.searchableAttributes },
          thingTypeMetadata: { deprecated: false, creationDate: epochSeconds(thingType.creationDate) },
        };
      }
      case 'CreateBillingGroup': {
        const group = things.createBillingGroup(caller, call.input.billingGroupName, call.input.description, now);
        return { billingGroupName: group.billingGroupName, billingGroupArn: billingGroupArn(group), billingGroupId: group.billingGroupId };
      }
      case 'AttachThingPrincipal':
        registry.attachThingPrincipal(caller, call.input.thingName, call.input.principal, call.input.thingPrincipalType);
        return {};
      case 'DetachThingPrincipal':
        registry.detachThingPrincipal(caller, call.input.thingName, call.input.principal);
        return {};
      case 'ListPrincipalThings': {
        const page = registry.listPrincipalThings(caller, call.input.principal, call.input);
        return { things: page.items, nextToken: page.nextMarker };
      }
      case 'ListThingPrincipals': {
        const page = registry.listThingPrincipals(caller, call.input.thingName, call.input);
        return { principals: page.items.map((item) => item.principal), nextToken: page.nextMarker };
      }
      case 'ListThingPrincipalsV2': {
        const page = registry.listThingPrincipals(caller, call.input.thingName, {
          ...call.input,
          principalType: call.input.thingPrincipalType,
        });
        return { thingPrincipalObjects: page.items, nextToken: page.nextMarker };
      }
      case 'GetRegistrationCode':
        return { registrationCode: cas.registrationCode(caller) };
      case 'RegisterCACertificate': {
        const ca = cas.registerCaCertificate(caller, call.input, now);
        return { certificateArn: caCertificateArn(ca), certificateId: ca.certificateId };
      }
      case 'DescribeCACertificate': {
        const ca = cas.describeCaCertificate(caller, call.input.certificateId);
        return { certificateDescription: caCertificateDescription(ca), registrationConfig: ca.registrationConfig };
      }
      case 'ListCACertificates': {
        const page = cas.listCaCertificates(caller, call.input);
        return {
          certificates: page.items.map((ca) => ({
            certificateArn: caCertificateArn(ca),
            certificateId: ca.certificateId,
            status: ca.status,
            creationDate: epochSeconds(ca.creationDate),
          })),
          nextMarker: page.nextMarker,
        };
      }
      case 'UpdateCACertificate':
        cas.updateCaCertificate(caller, call.input.certificateId, call.input, now);
        return undefined;
      case 'RegisterCertificate': {
        const certificate = cas.registerCertificate(caller, call.input, now);
        return { certificateArn: certificateArn(certificate), certificateId: certificate.certificateId };
      }
      case 'RegisterCertificateWithoutCA': {
        const certificate = cas.registerCertificateWithoutCa(caller, call.input, now);
        return { certificateArn: certificateArn(certificate), certificateId: certificate.certificateId };
      }
      case 'ListCertificatesByCA': {
        const page = registry.listCertificatesByCa(caller, call.input.caCertificateId, call.input);
        return { certificates: page.items.map((certificate) => certificateSummary(certificate, caller)), nextMarker: page.nextMarker };
      }
    }
  }
}
