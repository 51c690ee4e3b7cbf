import { ListCertificatesByCACommand, ListCertificatesCommand, ListOutgoingCertificatesCommand, type IoTClient } from '@aws-sdk/client-iot';
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
