import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { createCertificate, iotError, SOURCE, startIotFixture, TARGET, type IotEndpointFixture } from './iot-endpoint-fixture';

const POLICY_DOCUMENT = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

describe('policies and things on the local IoT endpoint', () => {
  let fixture: IotEndpointFixture;
  let iot: IoTClient;
  let other: IoTClient;
  beforeAll(async () => {
    fixture = await startIotFixture();
    iot = fixture.client(SOURCE);
    other = fixture.client(TARGET);
  });
  afterAll(() => fixture.close());

  describe('policies', () => {
    it('creates a policy and answers its ARN and first version', async () => {
      const created = await iot.send(new CreatePolicyCommand({ policyName: 'device-policy', policyDocument: POLICY_DOCUMENT }));
      expect(created).toMatchObject({
        policyName: 'device-policy',
        policyArn: `arn:aws:iot:us-east-1:${SOURCE}:policy/device-policy`,
        policyDocument: POLICY_DOCUMENT,
        policyVersionId: '1',
      });
    });

    it('refuses a second policy of the same name with ResourceAlreadyExistsException (409)', async () => {
      await iot.send(new CreatePolicyCommand({ policyName: 'twice', policyDocument: '{}' }));
      await expect(iot.send(new CreatePolicyCommand({ policyName: 'twice', policyDocument: '{}' }))).rejects.toMatchObject({
        ...iotError('ResourceAlreadyExistsException', 409),
        resourceId: 'twice',
      });
    });

    it('refuses a policy document that is not JSON with MalformedPolicyException', async () => {
      await expect(iot.send(new CreatePolicyCommand({ policyName: 'broken', policyDocument: 'not json' }))).rejects.toMatchObject(iotError('MalformedPolicyException', 400));
    });

    it('validates the policy name against its pattern', async () => {
      await expect(iot.send(new CreatePolicyCommand({ policyName: 'bad name!', policyDocument: '{}' }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'policyName: must match the pattern [\\w+=,.@-]+',
      });
    });

    it('attaches and detaches policies and pages ListAttachedPolicies', async () => {
      const { certificateArn } = await createCertificate(iot);
      const names = ['paged-a', 'paged-b', 'paged-c'];
      for (const policyName of names) {
        await iot.send(new CreatePolicyCommand({ policyName, policyDocument: POLICY_DOCUMENT }));
        await iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
      }
      await iot.send(new AttachPolicyCommand({ policyName: 'paged-a', target: certificateArn }));
      const first = await iot.send(new ListAttachedPoliciesCommand({ target: certificateArn, pageSize: 2 }));
      expect(first.policies?.map((policy) => policy.policyName)).toEqual(['paged-a', 'paged-b']);
      expect(first.policies?.[0]?.policyArn).toBe(`arn:aws:iot:us-east-1:${SOURCE}:policy/paged-a`);
      const second = await iot.send(new ListAttachedPoliciesCommand({ target: certificateArn, pageSize: 2, marker: first.nextMarker }));
      expect(second.policies?.map((policy) => policy.policyName)).toEqual(['paged-c']);
      expect(second.nextMarker).toBeUndefined();

      await iot.send(new DetachPolicyCommand({ policyName: 'paged-b', target: certificateArn }));
      const after = await iot.send(new ListAttachedPoliciesCommand({ target: certificateArn }));
      expect(after.policies?.map((policy) => policy.policyName)).toEqual(['paged-a', 'paged-c']);
    });

    it('answers ResourceNotFoundException for an unknown policy or another account certificate', async () => {
      const { certificateArn } = await createCertificate(iot);
      await expect(iot.send(new AttachPolicyCommand({ policyName: 'no-such-policy', target: certificateArn }))).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
      await other.send(new CreatePolicyCommand({ policyName: 'other-policy', policyDocument: '{}' }));
      await expect(other.send(new AttachPolicyCommand({ policyName: 'other-policy', target: certificateArn }))).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
      await expect(other.send(new ListAttachedPoliciesCommand({ target: certificateArn }))).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
    });

    it('answers InvalidRequestException for a target that is not a certificate ARN', async () => {
      await iot.send(new CreatePolicyCommand({ policyName: 'any-target', policyDocument: '{}' }));
      await expect(iot.send(new AttachPolicyCommand({ policyName: 'any-target', target: 'us-east-1:cognito-identity' }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: expect.stringMatching(/^target: /),
      });
    });

    it('validates pageSize of ListAttachedPolicies', async () => {
      const { certificateArn } = await createCertificate(iot);
      await expect(iot.send(new ListAttachedPoliciesCommand({ target: certificateArn, pageSize: 300 }))).rejects.toMatchObject({
        message: 'pageSize: must be an integer from 1 to 250',
      });
    });
  });

  describe('things', () => {
    it('creates a thing, and creating it again with the same configuration answers the same thing', async () => {
      const created = await iot.send(new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { room: 'lab' } } }));
      expect(created).toMatchObject({ thingName: 'sensor-1', thingArn: `arn:aws:iot:us-east-1:${SOURCE}:thing/sensor-1`, thingId: expect.any(String) });
      const again = await iot.send(new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { room: 'lab' } } }));
      expect(again.thingId).toBe(created.thingId);
      await expect(iot.send(new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { room: 'hall' } } }))).rejects.toMatchObject(
        iotError('ResourceAlreadyExistsException', 409),
      );
    });

    it('validates the thing name against its pattern', async () => {
      await expect(iot.send(new CreateThingCommand({ thingName: 'no spaces' }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'thingName: must match the pattern [a-zA-Z0-9:_-]+',
      });
    });

    it('attaches certificates to things and pages ListPrincipalThings with maxResults and nextToken', async () => {
      const { certificateArn } = await createCertificate(iot);
      for (const thingName of ['paged-thing-1', 'paged-thing-2', 'paged-thing-3']) {
        await iot.send(new CreateThingCommand({ thingName }));
        await iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
      }
      const first = await iot.send(new ListPrincipalThingsCommand({ principal: certificateArn, maxResults: 2 }));
      expect(first.things).toEqual(['paged-thing-1', 'paged-thing-2']);
      const second = await iot.send(new ListPrincipalThingsCommand({ principal: certificateArn, maxResults: 2, nextToken: first.nextToken }));
      expect(second.things).toEqual(['paged-thing-3']);
      expect(second.nextToken).toBeUndefined();

      await iot.send(new DetachThingPrincipalCommand({ thingName: 'paged-thing-2', principal: certificateArn }));
      expect((await iot.send(new ListPrincipalThingsCommand({ principal: certificateArn }))).things).toEqual(['paged-thing-1', 'paged-thing-3']);
    });

    it('answers ResourceNotFoundException for an unknown thing or principal', async () => {
      const { certificateArn } = await createCertificate(iot);
      await expect(iot.send(new AttachThingPrincipalCommand({ thingName: 'ghost', principal: certificateArn }))).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
      await iot.send(new CreateThingCommand({ thingName: 'real-thing' }));
      const unknownArn = `arn:aws:iot:us-east-1:${SOURCE}:cert/${'b'.repeat(64)}`;
      await expect(iot.send(new AttachThingPrincipalCommand({ thingName: 'real-thing', principal: unknownArn }))).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
      await expect(other.send(new ListPrincipalThingsCommand({ principal: certificateArn }))).rejects.toMatchObject(iotError('ResourceNotFoundException', 404));
    });

    it('validates maxResults of ListPrincipalThings', async () => {
      const { certificateArn } = await createCertificate(iot);
      await expect(iot.send(new ListPrincipalThingsCommand({ principal: certificateArn, maxResults: 0 }))).rejects.toMatchObject({
        message: 'maxResults: must be an integer from 1 to 250',
      });
    });
  });
});
