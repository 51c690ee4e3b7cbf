import {
  ListCertificatesByCACommand,
  ListCertificatesCommand,
  ListOutgoingCertificatesCommand,
  ListPoliciesCommand,
  ListTargetsForPolicyCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { toIotActionError } from '../iot-api/iot-errors';

interface ListedCertificate {
  certificateArn: string;
  status: string;
}

/** Every certificate of the account (or of one CA), 250 a page: a few requests for thousands of certificates. */
export async function listCertificates(iot: IoTClient, caCertificateId?: string): Promise<Map<string, ListedCertificate>> {
  const listed = new Map<string, ListedCertificate>();
  let marker: string | undefined;
  try {
    do {
      const page = caCertificateId
        ? await iot.send(new ListCertificatesByCACommand({ caCertificateId, marker, pageSize: 250 }))
        : await iot.send(new ListCertificatesCommand({ marker, pageSize: 250 }));
      for (const certificate of page.certificates ?? []) {
        if (certificate.certificateId && certificate.certificateArn && certificate.status) {
          listed.set(certificate.certificateId, { certificateArn: certificate.certificateArn, status: certificate.status });
        }
      }
      marker = page.nextMarker;
    } while (marker);
  } catch (error) {
    throw toIotActionError(error);
  }
  return listed;
}

/** The account each of this account's pending offers went to. */
export async function outgoingOffers(iot: IoTClient): Promise<Map<string, string>> {
  const offers = new Map<string, string>();
  let marker: string | undefined;
  try {
    do {
      const page = await iot.send(new ListOutgoingCertificatesCommand({ marker, pageSize: 250 }));
      for (const offer of page.outgoingCertificates ?? []) {
        if (offer.certificateId && offer.transferredTo) offers.set(offer.certificateId, offer.transferredTo);
      }
      marker = page.nextMarker;
    } while (marker);
  } catch (error) {
    throw toIotActionError(error);
  }
  return offers;
}

/**
 * Which policies are attached to which target (certificate ARN), read per policy:
 * ListPolicies, then ListTargetsForPolicy for each, 250 a page. It costs the number of
 * policies plus their pages, far fewer requests than one per certificate unless every
 * device has a policy of its own.
 */
export async function policyAttachments(iot: IoTClient): Promise<Map<string, string[]>> {
  const attached = new Map<string, string[]>();
  try {
    const policyNames: string[] = [];
    let marker: string | undefined;
    do {
      const page = await iot.send(new ListPoliciesCommand({ marker, pageSize: 250 }));
      for (const policy of page.policies ?? []) if (policy.policyName) policyNames.push(policy.policyName);
      marker = page.nextMarker;
    } while (marker);
    for (const policyName of policyNames) {
      let targetsMarker: string | undefined;
      do {
        const page = await iot.send(new ListTargetsForPolicyCommand({ policyName, marker: targetsMarker, pageSize: 250 }));
        for (const target of page.targets ?? []) attached.set(target, [...(attached.get(target) ?? []), policyName]);
        targetsMarker = page.nextMarker;
      } while (targetsMarker);
    }
  } catch (error) {
    throw toIotActionError(error);
  }
  return attached;
}
