import { X509Certificate } from 'node:crypto';
import {
  DescribeThingCommand,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  type CertificateDescription,
  type IoTClient,
} from '@aws-sdk/client-iot';
import type { TransferPreparation } from '../approvals/approval-request';
import type { CertificateFacts, ThingFacts } from '../cutover/certificate-facts';
import type { CertificateStatus } from '../iot-api/field-rules';
import { toIotActionError } from '../iot-api/iot-errors';
import { describeCertificate } from '../transfer-actions/certificate-description';

/** The certificate cannot be transferred as it is; the message says why. Terminal for a workflow. */
export class CertificateNotTransferable extends Error {
  override readonly name = 'CertificateNotTransferable';
}

export interface CertificateInspection {
  certificateId: string;
  certificateArn: string;
  status: CertificateStatus;
  preparation: TransferPreparation;
  /** What both sides' approvers see; the proposal to the target carries it. */
  facts: CertificateFacts;
}

const TRANSFERABLE_AFTER_PREPARATION: readonly string[] = ['ACTIVE', 'INACTIVE'];

/**
 * Looks at a certificate before anyone is asked to approve its transfer: its status,
 * the policies AWS IoT requires detached, and the things using it. Fails early, with
 * the reason, when no approval could make the transfer work.
 */
export async function inspectCertificate(
  deps: { iot: IoTClient; accountId: string },
  request: { certificateId: string; targetAwsAccount: string },
): Promise<CertificateInspection> {
  if (request.targetAwsAccount === deps.accountId) {
    throw new CertificateNotTransferable(
      `targetAwsAccount ${request.targetAwsAccount} is this account: a certificate moves to another account`,
    );
  }
  let description;
  try {
    ({ description } = await describeCertificate(deps.iot, request.certificateId));
  } catch (error) {
    throw toIotActionError(error);
  }
  const status = (description.status ?? 'INACTIVE') as CertificateStatus;
  if (!TRANSFERABLE_AFTER_PREPARATION.includes(status)) {
    throw new CertificateNotTransferable(
      `certificate ${request.certificateId} is ${status}; only an ACTIVE or INACTIVE certificate can be transferred`,
    );
  }
  const certificateArn = description.certificateArn ?? '';
  const [policies, things] = await Promise.all([attachedPolicies(deps.iot, certificateArn), principalThings(deps.iot, certificateArn)]);
  const thingFacts = await describeThings(deps.iot, things);
  return {
    certificateId: request.certificateId,
    certificateArn,
    status,
    preparation: { deactivate: status === 'ACTIVE', detachPolicies: policies, attachedThings: things },
    facts: {
      ...certificateFactsOf(description),
      certificateId: request.certificateId,
      certificateArn,
      status,
      policies,
      things: thingFacts,
    },
  };
}

/** Subject, issuer and validity from the PEM; the PEM itself goes nowhere. */
export function certificateFactsOf(
  description: CertificateDescription,
): Omit<CertificateFacts, 'certificateId' | 'certificateArn' | 'status' | 'policies' | 'things'> {
  const facts: Omit<CertificateFacts, 'certificateId' | 'certificateArn' | 'status' | 'policies' | 'things'> = {};
  if (description.caCertificateId) facts.caCertificateId = description.caCertificateId;
  if (description.creationDate) facts.createdAt = new Date(description.creationDate).toISOString();
  if (!description.certificatePem) return facts;
  try {
    const x509 = new X509Certificate(description.certificatePem);
    facts.subject = distinguishedName(x509.subject);
    facts.issuer = distinguishedName(x509.issuer);
    facts.validFrom = new Date(x509.validFrom).toISOString();
    facts.validTo = new Date(x509.validTo).toISOString();
  } catch {
    // A PEM node cannot parse leaves the facts without subject and validity; the id still identifies it.
  }
  return facts;
}

/** node:crypto gives one `KEY=value` per line; approvers read `KEY=value, KEY=value`. */
function distinguishedName(lines: string): string {
  return lines.split('\n').filter(Boolean).join(', ').slice(0, 1024);
}

export async function describeThings(iot: IoTClient, thingNames: string[]): Promise<ThingFacts[]> {
  const described: ThingFacts[] = [];
  for (const thingName of thingNames) {
    let thing;
    try {
      thing = await iot.send(new DescribeThingCommand({ thingName }));
    } catch (error) {
      throw toIotActionError(error);
    }
    described.push({
      thingName,
      ...(thing.thingTypeName ? { thingTypeName: thing.thingTypeName } : {}),
      attributes: { ...(thing.attributes ?? {}) },
    });
  }
  return described;
}

export async function attachedPolicies(iot: IoTClient, certificateArn: string): Promise<string[]> {
  const names: string[] = [];
  let marker: string | undefined;
  try {
    do {
      const page = await iot.send(new ListAttachedPoliciesCommand({ target: certificateArn, marker, pageSize: 250 }));
      names.push(...(page.policies ?? []).map((policy) => policy.policyName ?? '').filter(Boolean));
      marker = page.nextMarker;
    } while (marker);
  } catch (error) {
    throw toIotActionError(error);
  }
  return names;
}

export async function principalThings(iot: IoTClient, certificateArn: string): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await iot.send(new ListPrincipalThingsCommand({ principal: certificateArn, nextToken, maxResults: 250 }));
      names.push(...(page.things ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    throw toIotActionError(error);
  }
  return names;
}
