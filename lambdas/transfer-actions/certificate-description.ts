import { DescribeCertificateCommand, type CertificateDescription, type IoTClient } from '@aws-sdk/client-iot';

export interface DescribedCertificate {
  description: CertificateDescription;
  awsRequestId?: string;
}

/** The description includes the certificate PEM: callers must never log it. */
export async function describeCertificate(iot: IoTClient, certificateId: string): Promise<DescribedCertificate> {
  const output = await iot.send(new DescribeCertificateCommand({ certificateId }));
  if (!output.certificateDescription) {
    throw new Error(`DescribeCertificate returned no description for ${certificateId}`);
  }
  return { description: output.certificateDescription, awsRequestId: output.$metadata.requestId };
}
