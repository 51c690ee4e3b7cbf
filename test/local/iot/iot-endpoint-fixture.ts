import { CreateKeysAndCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { startIotEndpoint, type IotEndpoint, type IotEndpointOptions } from '../../../local/iot/iot-endpoint';

export const SOURCE = '111111111111';
export const TARGET = '222222222222';
export const STRANGER = '333333333333';

export interface IotEndpointFixture {
  endpoint: IotEndpoint;
  /** A real SDK client signing as `account`; maxAttempts 1 unless given. */
  client(account: string, options?: { maxAttempts?: number; region?: string }): IoTClient;
  close(): Promise<void>;
}

/** A real SDK client for an endpoint at `url`, signing as `account`, with one attempt. */
export function iotClientFor(url: string, account: string, region = 'us-east-1'): IoTClient {
  return new IoTClient({ region, endpoint: url, credentials: { accessKeyId: `AKIA${account}LOCL`, secretAccessKey: 'x' }, maxAttempts: 1 });
}

/** The endpoint on a free port, fast EC keys and no quotas unless the test asks for them. */
export async function startIotFixture(options: IotEndpointOptions = {}): Promise<IotEndpointFixture> {
  const endpoint = await startIotEndpoint({ keyAlgorithm: 'EC-P256', quotas: false, ...options });
  const clients: IoTClient[] = [];
  return {
    endpoint,
    client: (account, clientOptions = {}) => {
      const client = new IoTClient({
        region: clientOptions.region ?? 'us-east-1',
        endpoint: endpoint.url,
        credentials: { accessKeyId: `AKIA${account}LOCL`, secretAccessKey: 'x' },
        maxAttempts: clientOptions.maxAttempts ?? 1,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients) client.destroy();
      await endpoint.close();
    },
  };
}

export async function createCertificate(iot: IoTClient, setAsActive = false): Promise<{ certificateId: string; certificateArn: string }> {
  const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive }));
  return { certificateId: created.certificateId ?? '', certificateArn: created.certificateArn ?? '' };
}

/** What the SDK reports for a failed call: the error name and the HTTP status. */
export function iotError(name: string, httpStatusCode: number): { name: string; $metadata: { httpStatusCode: number } } {
  return { name, $metadata: { httpStatusCode } };
}
