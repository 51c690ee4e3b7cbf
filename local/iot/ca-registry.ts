import { randomBytes, X509Certificate } from 'node:crypto';
import type { CertificateStatus } from '../../lambdas/iot-api/field-rules';
import { DEFAULT_PAGE_SIZE, newGenerationId, type Caller, type CertificateRegistry, type ListRequest } from './certificate-registry';
import { IotServiceError } from './iot-errors';
import { pageOf, type Page } from './list-pages';
import type { EntityTable } from './registry-store';
import {
  caCertificateArn,
  caCertificateKey,
  certificateArn,
  type AutoRegistrationStatus,
  type CaCertificateStatus,
  type CertificateMode,
  type StoredCaCertificate,
  type StoredCertificate,
  type StoredRegistrationCode,
  type StoredRegistrationConfig,
} from './registry-rows';
import { certificateIdOf, commonNameOf } from './x509-certificates';

/**
 * CA certificates registered by each account and the device certificates registered
 * with them (RegisterCertificate) or without one (RegisterCertificateWithoutCA).
 *
 * Proof of possession follows the developer guide for DEFAULT mode: the verification
 * certificate is signed by the CA's private key and its common name is the account's
 * registration code (GetRegistrationCode). In SNI_ONLY mode no verification
 * certificate is given.
 */

/** "You can register up to 10 CA certificates with the same CA subject field per Amazon Web Services account." */
export const CA_CERTIFICATES_PER_SUBJECT = 10;
const REGISTERABLE_STATUSES: readonly CertificateStatus[] = ['ACTIVE', 'INACTIVE', 'REVOKED'];

export interface CaRegistration {
  caCertificate: string;
  verificationCertificate?: string;
  certificateMode: CertificateMode;
  setAsActive: boolean;
  allowAutoRegistration: boolean;
  registrationConfig?: StoredRegistrationConfig;
}

export interface CaUpdate {
  newStatus?: CaCertificateStatus;
  newAutoRegistrationStatus?: AutoRegistrationStatus;
  registrationConfig?: StoredRegistrationConfig;
  removeAutoRegistration: boolean;
}

function parsePem(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new IotServiceError('CertificateValidationException', `${field}: is not a PEM-encoded X.509 certificate`, {}, { cause: error });
  }
}

function refuseOutsideValidity(certificate: X509Certificate, field: string, now: number): void {
  if (Date.parse(certificate.validTo) < now)
    throw new IotServiceError('CertificateValidationException', `${field}: the certificate has expired`);
  if (Date.parse(certificate.validFrom) > now)
    throw new IotServiceError('CertificateValidationException', `${field}: the certificate is not valid yet`);
}

/** Whether `issuer` signed `certificate`: names chain and the signature verifies with the issuer's key. */
function signedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
}

export class CaRegistry {
  private readonly caCertificates: EntityTable<StoredCaCertificate>;
  private readonly registrationCodes: EntityTable<StoredRegistrationCode>;

  constructor(private readonly certificates: CertificateRegistry) {
    this.caCertificates = certificates.store.table('caCertificate');
    this.registrationCodes = certificates.store.table('registrationCode');
  }

  /** The account's registration code: 64 hex digits, made on first use and kept. */
  registrationCode(caller: Caller): string {
    const existing = this.registrationCodes.get(caller.accountId);
    if (existing) return existing.registrationCode;
    const registrationCode = randomBytes(32).toString('hex');
    this.registrationCodes.put(caller.accountId, { accountId: caller.accountId, registrationCode });
    return registrationCode;
  }

  registerCaCertificate(caller: Caller, registration: CaRegistration, now: number): StoredCaCertificate {
    const ca = parsePem(registration.caCertificate, 'caCertificate');
    if (!ca.ca)
      throw new IotServiceError(
        'CertificateValidationException',
        'caCertificate: is not a CA certificate (basicConstraints CA is not true)',
      );
    refuseOutsideValidity(ca, 'caCertificate', now);
    if (registration.certificateMode === 'SNI_ONLY') {
      if (registration.verificationCertificate !== undefined) {
        throw new IotServiceError('InvalidRequestException', 'verificationCertificate: must be empty when certificateMode is SNI_ONLY');
      }
    } else {
      if (registration.verificationCertificate === undefined) {
        throw new IotServiceError('InvalidRequestException', 'verificationCertificate: is required when certificateMode is DEFAULT');
      }
      const verification = parsePem(registration.verificationCertificate, 'verificationCertificate');
      if (!signedBy(verification, ca)) {
        throw new IotServiceError('CertificateValidationException', 'verificationCertificate: is not signed by the CA certificate');
      }
      const code = this.registrationCodes.get(caller.accountId)?.registrationCode;
      if (code === undefined || commonNameOf(verification.subject) !== code) {
        throw new IotServiceError(
          'RegistrationCodeValidationException',
          'verificationCertificate: its common name is not the registration code of this account',
        );
      }
    }
    const certificateId = certificateIdOf(registration.caCertificate);
    const key = caCertificateKey(caller.accountId, certificateId);
    const existing = this.caCertificates.get(key);
    if (existing) {
      throw new IotServiceError('ResourceAlreadyExistsException', `The CA certificate ${certificateId} is already registered`, {
        resourceId: certificateId,
        resourceArn: caCertificateArn(existing),
      });
    }
    const sameSubject = [...this.caCertificates.values()].filter(
      (other) => other.accountId === caller.accountId && other.subject === ca.subject,
    );
    if (sameSubject.length >= CA_CERTIFICATES_PER_SUBJECT) {
      throw new IotServiceError(
        'LimitExceededException',
        `${CA_CERTIFICATES_PER_SUBJECT} CA certificates with this subject are already registered`,
      );
    }
    const stored: StoredCaCertificate = {
      accountId: caller.accountId,
      region: caller.region,
      certificateId,
      sequence: this.certificates.store.nextSequence(),
      status: registration.setAsActive ? 'ACTIVE' : 'INACTIVE',
      certificatePem: registration.caCertificate,
      subject: ca.subject,
      autoRegistrationStatus: registration.allowAutoRegistration ? 'ENABLE' : 'DISABLE',
      certificateMode: registration.certificateMode,
      registrationConfig: registration.registrationConfig,
      creationDate: now,
      lastModifiedDate: now,
      customerVersion: 1,
      generationId: newGenerationId(),
      notBefore: Date.parse(ca.validFrom),
      notAfter: Date.parse(ca.validTo),
    };
    this.caCertificates.put(key, stored);
    return stored;
  }

  describeCaCertificate(caller: Caller, certificateId: string): StoredCaCertificate {
    const ca = this.caCertificates.get(caCertificateKey(caller.accountId, certificateId));
    if (!ca) throw new IotServiceError('ResourceNotFoundException', `The CA certificate ${certificateId} does not exist`);
    return ca;
  }

  /** The account's CA certificates, newest first unless ascendingOrder, optionally only those of a provisioning template. */
  listCaCertificates(caller: Caller, request: ListRequest & { templateName?: string }): Page<StoredCaCertificate> {
    const descending = !request.ascendingOrder;
    const own = [...this.caCertificates.values()]
      .filter((ca) => ca.accountId === caller.accountId)
      .filter((ca) => request.templateName === undefined || ca.registrationConfig?.templateName === request.templateName)
      .sort((left, right) => (descending ? right.sequence - left.sequence : left.sequence - right.sequence));
    return pageOf(own, (ca) => ca.sequence, {
      pageSize: request.pageSize ?? DEFAULT_PAGE_SIZE,
      marker: request.marker,
      markerField: 'marker',
      descending,
    });
  }

  updateCaCertificate(caller: Caller, certificateId: string, update: CaUpdate, now: number): void {
    const ca = this.describeCaCertificate(caller, certificateId);
    if (update.newStatus !== undefined) ca.status = update.newStatus;
    if (update.newAutoRegistrationStatus !== undefined) ca.autoRegistrationStatus = update.newAutoRegistrationStatus;
    if (update.removeAutoRegistration) ca.registrationConfig = undefined;
    else if (update.registrationConfig !== undefined) ca.registrationConfig = update.registrationConfig;
    ca.lastModifiedDate = now;
    ca.customerVersion += 1;
    ca.generationId = newGenerationId();
    this.caCertificates.changed(caCertificateKey(ca.accountId, ca.certificateId));
  }

  /**
   * RegisterCertificate: the device certificate must be signed by a CA certificate the
   * account registered (given as caCertificatePem, or found by the certificate's
   * issuer), and takes that CA's certificate mode.
   */
  registerCertificate(
    caller: Caller,
    request: { certificatePem: string; caCertificatePem?: string; status?: CertificateStatus; setAsActive?: boolean },
    now: number,
  ): StoredCertificate {
    const device = parsePem(request.certificatePem, 'certificatePem');
    const ca =
      request.caCertificatePem === undefined ? this.issuingCa(caller, device) : this.givenCa(caller, request.caCertificatePem, device);
    if (ca.status !== 'ACTIVE') {
      throw new IotServiceError(
        'CertificateStateException',
        `The CA certificate ${ca.certificateId} is ${ca.status}; activate it before registering certificates with it`,
      );
    }
    return this.addDeviceCertificate(
      caller,
      device,
      request,
      { caCertificateId: ca.certificateId, certificateMode: ca.certificateMode },
      now,
    );
  }

  /** RegisterCertificateWithoutCA: the certificate is registered in SNI_ONLY mode, with no CA. */
  registerCertificateWithoutCa(
    caller: Caller,
    request: { certificatePem: string; status?: CertificateStatus },
    now: number,
  ): StoredCertificate {
    const device = parsePem(request.certificatePem, 'certificatePem');
    return this.addDeviceCertificate(caller, device, request, { certificateMode: 'SNI_ONLY' }, now);
  }

  private addDeviceCertificate(
    caller: Caller,
    device: X509Certificate,
    request: { certificatePem: string; status?: CertificateStatus; setAsActive?: boolean },
    origin: { caCertificateId?: string; certificateMode: CertificateMode },
    now: number,
  ): StoredCertificate {
    if (request.status !== undefined && !REGISTERABLE_STATUSES.includes(request.status)) {
      throw new IotServiceError('InvalidRequestException', `status: must be one of ${REGISTERABLE_STATUSES.join(', ')}`);
    }
    refuseOutsideValidity(device, 'certificatePem', now);
    const certificateId = certificateIdOf(request.certificatePem);
    const existing = this.certificates.findCertificate(certificateId);
    if (existing) {
      throw new IotServiceError('ResourceAlreadyExistsException', `The certificate ${certificateId} is already registered`, {
        resourceId: certificateId,
        ...(existing.ownedBy === caller.accountId ? { resourceArn: certificateArn(existing) } : {}),
      });
    }
    return this.certificates.addCertificate(
      caller,
      {
        certificateId,
        certificatePem: request.certificatePem,
        notBefore: Date.parse(device.validFrom),
        notAfter: Date.parse(device.validTo),
        status: request.status ?? (request.setAsActive ? 'ACTIVE' : 'INACTIVE'),
        caCertificateId: origin.caCertificateId,
        certificateMode: origin.certificateMode,
      },
      now,
    );
  }

  private givenCa(caller: Caller, caCertificatePem: string, device: X509Certificate): StoredCaCertificate {
    const given = parsePem(caCertificatePem, 'caCertificatePem');
    const ca = this.caCertificates.get(caCertificateKey(caller.accountId, certificateIdOf(caCertificatePem)));
    if (!ca)
      throw new IotServiceError('CertificateValidationException', 'caCertificatePem: the CA certificate is not registered in this account');
    if (!signedBy(device, given))
      throw new IotServiceError('CertificateValidationException', 'certificatePem: is not signed by the given CA certificate');
    return ca;
  }

  /** The registered CA that signed the device certificate; two with the same subject and key are a conflict, as the model says. */
  private issuingCa(caller: Caller, device: X509Certificate): StoredCaCertificate {
    const candidates = [...this.caCertificates.values()].filter((ca) => ca.accountId === caller.accountId && ca.subject === device.issuer);
    const signers = candidates.filter((ca) => signedBy(device, new X509Certificate(ca.certificatePem)));
    const [signer, ...others] = signers;
    if (!signer)
      throw new IotServiceError('CertificateValidationException', 'certificatePem: no registered CA certificate of this account signed it');
    if (others.length > 0) {
      throw new IotServiceError(
        'CertificateConflictException',
        'certificatePem: more than one registered CA certificate has its issuer and key; give caCertificatePem',
      );
    }
    return signer;
  }
}
