import type { ThingFacts } from '../cutover/certificate-facts';
import { ValidationError, parseCertificateId, parsePolicyName } from '../iot-api/field-rules';
import { list, object, oneOf, optionalInstant, optionalText, parseThingFacts, text } from '../cross-account/transfer-messages';

/** How the source fared with one certificate of a batch; PENDING only in the sheet written before the batch's first change. */
export const OFFER_OUTCOMES = ['PENDING', 'OFFERED', 'ALREADY_OFFERED', 'FAILED'] as const;
export type OfferOutcome = (typeof OFFER_OUTCOMES)[number];

/**
 * What the source did with one certificate and what it found attached before it changed
 * anything: the target lands the certificate from this (its policies and things) and
 * accepts it ACTIVE when it was ACTIVE here.
 */
export interface OfferedCertificate {
  certificateId: string;
  outcome: OfferOutcome;
  /** ACTIVE or INACTIVE: the status before the cutover. */
  previousStatus: string;
  policies: string[];
  things: ThingFacts[];
  /** When the source set it INACTIVE; null when it was INACTIVE already (or nothing was done). */
  deactivatedAt: string | null;
  transferredAt: string | null;
  errorName: string | null;
  errorMessage: string | null;
}

/**
 * One batch's offer sheet, an exchange object in the source's bucket. The source writes
 * it before the batch's first change (outcomes pending) and again when the batch is done,
 * so a re-run after a crash still knows the things it detached.
 */
export interface OfferSheet {
  migrationId: string;
  runName: string;
  batch: number;
  certificates: OfferedCertificate[];
}

const MAX_POLICIES = 50;
const MAX_THINGS = 50;

export function parseOfferSheet(value: unknown, expected: { migrationId: string; runName: string; batch: number }): OfferSheet {
  const fields = object(value, 'offerSheet');
  for (const [name, wanted] of Object.entries(expected)) {
    if (fields[name] !== wanted) throw new ValidationError(`offerSheet.${name}`, `must be ${String(wanted)} (the batch its message named)`);
  }
  return {
    ...expected,
    certificates: list(fields.certificates, 'offerSheet.certificates', 1000, (entry, at): OfferedCertificate => {
      const certificate = object(entry, at);
      return {
        certificateId: parseCertificateId(certificate.certificateId, `${at}.certificateId`),
        outcome: oneOf(certificate.outcome, `${at}.outcome`, OFFER_OUTCOMES),
        previousStatus: text(certificate.previousStatus, `${at}.previousStatus`, 32),
        policies: list(certificate.policies, `${at}.policies`, MAX_POLICIES, (name, where) => parsePolicyName(name, where)),
        things: list(certificate.things, `${at}.things`, MAX_THINGS, parseThingFacts),
        deactivatedAt: optionalInstant(certificate.deactivatedAt, `${at}.deactivatedAt`),
        transferredAt: optionalInstant(certificate.transferredAt, `${at}.transferredAt`),
        errorName: optionalText(certificate.errorName, `${at}.errorName`, 256),
        errorMessage: optionalText(certificate.errorMessage, `${at}.errorMessage`, 2048),
      };
    }),
  };
}
