import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  IoTClient,
  ListCertificatesCommand,
} from '@aws-sdk/client-iot';
import { credentialsFor, type SandboxAccounts } from './sandbox-accounts';

export interface SeededCertificate {
  accountId: string;
  certificateId: string;
  certificateArn: string;
  description: string;
}

const DEMO_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }],
});

/**
 * Gives the demo something to move: in the source account an INACTIVE certificate
 * ready to transfer, an ACTIVE one with a policy attached (needs preparation) and one
 * attached to a thing; in the target account the policy (so the certificate lands with it)
 * and one certificate of its own. Seeds only an
 * empty account, so a restart keeps what is there.
 */
export async function seedDemoCertificates(iotEndpoint: string, region: string, accounts: SandboxAccounts): Promise<SeededCertificate[]> {
  const source = new IoTClient({ region, endpoint: iotEndpoint, credentials: credentialsFor(accounts.source) });
  const target = new IoTClient({ region, endpoint: iotEndpoint, credentials: credentialsFor(accounts.target) });
  try {
    const existing = await source.send(new ListCertificatesCommand({ pageSize: 1 }));
    if ((existing.certificates ?? []).length > 0) return [];
    const seeded: SeededCertificate[] = [];
    const create = async (client: IoTClient, accountId: string, setAsActive: boolean, description: string) => {
      const created = await client.send(new CreateKeysAndCertificateCommand({ setAsActive }));
      const certificate = {
        accountId,
        certificateId: created.certificateId ?? '',
        certificateArn: created.certificateArn ?? '',
        description,
      };
      seeded.push(certificate);
      return certificate;
    };
    await create(source, accounts.source, false, 'INACTIVE, nothing attached: ready to transfer');
    const withPolicy = await create(source, accounts.source, true, 'ACTIVE with policy demo-device-policy: needs preparation');
    await source.send(new CreatePolicyCommand({ policyName: 'demo-device-policy', policyDocument: DEMO_POLICY }));
    await source.send(new AttachPolicyCommand({ policyName: 'demo-device-policy', target: withPolicy.certificateArn }));
    // The target has the same policy, so that the certificate can land there with it.
    await target.send(new CreatePolicyCommand({ policyName: 'demo-device-policy', policyDocument: DEMO_POLICY }));
    const withThing = await create(source, accounts.source, false, 'INACTIVE, attached to thing demo-sensor-1');
    await source.send(new CreateThingCommand({ thingName: 'demo-sensor-1' }));
    await source.send(new AttachThingPrincipalCommand({ thingName: 'demo-sensor-1', principal: withThing.certificateArn }));
    await create(target, accounts.target, true, "the target account's own ACTIVE certificate");
    return seeded;
  } finally {
    source.destroy();
    target.destroy();
  }
}
