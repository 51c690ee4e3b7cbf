import type { CertificateStatus } from '../iot-api/field-rules';

/** A thing a certificate is attached to, as the source describes it. */
export interface ThingFacts {
  thingName: string;
  /** Absent when the thing has no type. */
  thingTypeName?: string;
  /** The thing's attributes, name to value. */
  attributes: Record<string, string>;
}

/**
 * What both sides' approvers see of one certificate before anything changes: read from
 * DescribeCertificate (and the PEM it returns), ListAttachedPolicies and the things.
 */
export interface CertificateFacts {
  certificateId: string;
  certificateArn: string;
  status: CertificateStatus;
  /** The certificate's subject distinguished name, e.g. `CN=sensor-17, O=Example`. */
  subject?: string;
  /** The issuer's distinguished name. */
  issuer?: string;
  /** The registered CA certificate's id, when the certificate was registered with one. */
  caCertificateId?: string;
  /** ISO 8601: the certificate's validity (notBefore / notAfter). */
  validFrom?: string;
  validTo?: string;
  /** ISO 8601: when the certificate was created (registered) in AWS IoT. */
  createdAt?: string;
  /** Policies attached to the certificate in the source account. */
  policies: string[];
  /** Things the certificate is attached to in the source account. */
  things: ThingFacts[];
}

/** One thing the target creates (or reuses) and attaches the certificate to. */
export interface ThingLanding {
  thingName: string;
  /** Set only when the type exists in the target account. */
  thingTypeName?: string;
  attributes: Record<string, string>;
  /** CREATE: the name is free; REUSE: a compatible thing of that name exists. */
  action: 'CREATE' | 'REUSE';
}

/**
 * How an accepted certificate lands in the target account, checked before the target
 * approvers are asked: the policies attached there and the things recreated there.
 */
export interface LandingPlan {
  policies: string[];
  things: ThingLanding[];
}
