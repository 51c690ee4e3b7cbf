import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateBillingGroupCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  DescribeThingTypeCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  ListAttachedPoliciesCommand,
  ListPoliciesCommand,
  ListPrincipalThingsCommand,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
  ListThingPrincipalsV2Command,
  UpdateThingCommand,
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
      await expect(iot.send(new CreatePolicyCommand({ policyName: 'broken', policyDocument: 'not json' }))).rejects.toMatchObject(
        iotError('MalformedPolicyException', 400),
      );
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
      await expect(iot.send(new AttachPolicyCommand({ policyName: 'no-such-policy', target: certificateArn }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
      await other.send(new CreatePolicyCommand({ policyName: 'other-policy', policyDocument: '{}' }));
      await expect(other.send(new AttachPolicyCommand({ policyName: 'other-policy', target: certificateArn }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
      await expect(other.send(new ListAttachedPoliciesCommand({ target: certificateArn }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('answers InvalidRequestException for a target that is not a certificate ARN', async () => {
      await iot.send(new CreatePolicyCommand({ policyName: 'any-target', policyDocument: '{}' }));
      await expect(
        iot.send(new AttachPolicyCommand({ policyName: 'any-target', target: 'us-east-1:cognito-identity' })),
      ).rejects.toMatchObject({
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
      expect(created).toMatchObject({
        thingName: 'sensor-1',
        thingArn: `arn:aws:iot:us-east-1:${SOURCE}:thing/sensor-1`,
        thingId: expect.any(String),
      });
      const again = await iot.send(new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { room: 'lab' } } }));
      expect(again.thingId).toBe(created.thingId);
      await expect(
        iot.send(new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { room: 'hall' } } })),
      ).rejects.toMatchObject(iotError('ResourceAlreadyExistsException', 409));
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
      const second = await iot.send(
        new ListPrincipalThingsCommand({ principal: certificateArn, maxResults: 2, nextToken: first.nextToken }),
      );
      expect(second.things).toEqual(['paged-thing-3']);
      expect(second.nextToken).toBeUndefined();

      await iot.send(new DetachThingPrincipalCommand({ thingName: 'paged-thing-2', principal: certificateArn }));
      expect((await iot.send(new ListPrincipalThingsCommand({ principal: certificateArn }))).things).toEqual([
        'paged-thing-1',
        'paged-thing-3',
      ]);
    });

    it('answers ResourceNotFoundException for an unknown thing or principal', async () => {
      const { certificateArn } = await createCertificate(iot);
      await expect(iot.send(new AttachThingPrincipalCommand({ thingName: 'ghost', principal: certificateArn }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
      await iot.send(new CreateThingCommand({ thingName: 'real-thing' }));
      const unknownArn = `arn:aws:iot:us-east-1:${SOURCE}:cert/${'b'.repeat(64)}`;
      await expect(iot.send(new AttachThingPrincipalCommand({ thingName: 'real-thing', principal: unknownArn }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
      await expect(other.send(new ListPrincipalThingsCommand({ principal: certificateArn }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('validates maxResults of ListPrincipalThings', async () => {
      const { certificateArn } = await createCertificate(iot);
      await expect(iot.send(new ListPrincipalThingsCommand({ principal: certificateArn, maxResults: 0 }))).rejects.toMatchObject({
        message: 'maxResults: must be an integer from 1 to 250',
      });
    });
  });

  describe('policies for landing', () => {
    it('creates a policy with tags and answers it with GetPolicy, dates and generation id included', async () => {
      await iot.send(
        new CreatePolicyCommand({ policyName: 'tagged', policyDocument: POLICY_DOCUMENT, tags: [{ Key: 'team', Value: 'fleet' }] }),
      );
      const policy = await iot.send(new GetPolicyCommand({ policyName: 'tagged' }));
      expect(policy).toMatchObject({
        policyName: 'tagged',
        policyArn: `arn:aws:iot:us-east-1:${SOURCE}:policy/tagged`,
        policyDocument: POLICY_DOCUMENT,
        defaultVersionId: '1',
        generationId: expect.any(String),
      });
      expect(policy.creationDate).toBeInstanceOf(Date);
      await expect(iot.send(new GetPolicyCommand({ policyName: 'no-such-policy' }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('validates tags against the Tag shape', async () => {
      await expect(
        iot.send(new CreatePolicyCommand({ policyName: 'bad-tag', policyDocument: '{}', tags: [{ Key: '', Value: 'x' }] })),
      ).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: expect.stringMatching(/^tags\[0\]\.Key: /),
      });
    });

    it('limits the policy document to 2048 characters excluding whitespace, as CreatePolicy documents', async () => {
      const statement = (resource: string) => ({ Effect: 'Allow', Action: 'iot:Connect', Resource: resource });
      const document = (length: number) => {
        const base = JSON.stringify({ Version: '2012-10-17', Statement: [statement('')] });
        return JSON.stringify({ Version: '2012-10-17', Statement: [statement('r'.repeat(length - base.length))] });
      };
      expect(document(2048)).toHaveLength(2048);
      await iot.send(new CreatePolicyCommand({ policyName: 'at-limit', policyDocument: document(2048) }));
      // Whitespace does not count: a pretty-printed document of the same content is accepted too.
      await iot.send(
        new CreatePolicyCommand({ policyName: 'at-limit-pretty', policyDocument: JSON.stringify(JSON.parse(document(2048)), null, 8) }),
      );
      await expect(iot.send(new CreatePolicyCommand({ policyName: 'over-limit', policyDocument: document(2049) }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'policyDocument: must have from 1 to 2048 characters, excluding whitespace (got 2049)',
      });
      await expect(
        iot.send(new CreatePolicyCommand({ policyName: 'model-limit', policyDocument: ' '.repeat(404_601) })),
      ).rejects.toMatchObject({
        message: 'policyDocument: must be at most 404600 characters long (got 404601)',
      });
      await expect(iot.send(new CreatePolicyCommand({ policyName: 'blank', policyDocument: '   ' }))).rejects.toMatchObject(
        iotError('InvalidRequestException', 400),
      );
    });

    it('pages ListPolicies of the caller only, newest first, oldest first with isAscendingOrder', async () => {
      const fresh = await startIotFixture();
      try {
        const own = fresh.client(SOURCE);
        for (const policyName of ['first', 'second', 'third'])
          await own.send(new CreatePolicyCommand({ policyName, policyDocument: '{}' }));
        await fresh.client(TARGET).send(new CreatePolicyCommand({ policyName: 'elsewhere', policyDocument: '{}' }));
        const page = await own.send(new ListPoliciesCommand({ pageSize: 2 }));
        expect(page.policies).toEqual([
          { policyName: 'third', policyArn: `arn:aws:iot:us-east-1:${SOURCE}:policy/third` },
          { policyName: 'second', policyArn: `arn:aws:iot:us-east-1:${SOURCE}:policy/second` },
        ]);
        expect((await own.send(new ListPoliciesCommand({ marker: page.nextMarker }))).policies?.map((p) => p.policyName)).toEqual([
          'first',
        ]);
        expect((await own.send(new ListPoliciesCommand({ ascendingOrder: true }))).policies?.map((p) => p.policyName)).toEqual([
          'first',
          'second',
          'third',
        ]);
      } finally {
        await fresh.close();
      }
    });

    it('lists the certificates a policy is attached to with ListTargetsForPolicy, paged', async () => {
      await iot.send(new CreatePolicyCommand({ policyName: 'shared', policyDocument: POLICY_DOCUMENT }));
      const certificates = [await createCertificate(iot), await createCertificate(iot), await createCertificate(iot)];
      for (const { certificateArn } of certificates)
        await iot.send(new AttachPolicyCommand({ policyName: 'shared', target: certificateArn }));
      const first = await iot.send(new ListTargetsForPolicyCommand({ policyName: 'shared', pageSize: 2 }));
      expect(first.targets).toEqual(certificates.slice(0, 2).map((c) => c.certificateArn));
      const second = await iot.send(new ListTargetsForPolicyCommand({ policyName: 'shared', pageSize: 2, marker: first.nextMarker }));
      expect(second.targets).toEqual([certificates[2]?.certificateArn]);
      expect(second.nextMarker).toBeUndefined();
      await expect(iot.send(new ListTargetsForPolicyCommand({ policyName: 'unknown-policy' }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('refuses an eleventh policy on a certificate with LimitExceededException (410)', async () => {
      const { certificateArn } = await createCertificate(iot);
      for (let index = 0; index < 10; index += 1) {
        await iot.send(new CreatePolicyCommand({ policyName: `limit-${index}`, policyDocument: '{}' }));
        await iot.send(new AttachPolicyCommand({ policyName: `limit-${index}`, target: certificateArn }));
      }
      await iot.send(new CreatePolicyCommand({ policyName: 'limit-10', policyDocument: '{}' }));
      await expect(iot.send(new AttachPolicyCommand({ policyName: 'limit-10', target: certificateArn }))).rejects.toMatchObject(
        iotError('LimitExceededException', 410),
      );
    });

    it('answers DetachPolicy with success, changing nothing, for a policy that does not exist or is not attached', async () => {
      const { certificateArn } = await createCertificate(iot);
      await iot.send(new CreatePolicyCommand({ policyName: 'never-attached', policyDocument: '{}' }));
      await iot.send(new DetachPolicyCommand({ policyName: 'never-attached', target: certificateArn }));
      await iot.send(new DetachPolicyCommand({ policyName: 'never-created', target: certificateArn }));
      expect((await iot.send(new ListAttachedPoliciesCommand({ target: certificateArn }))).policies).toEqual([]);
      await expect(iot.send(new DetachPolicyCommand({ policyName: 'never-attached', target: 'not-an-arn' }))).rejects.toMatchObject(
        iotError('InvalidRequestException', 400),
      );
    });
  });

  describe('things for landing', () => {
    it('describes a thing with its version, attributes, type and billing group', async () => {
      await iot.send(
        new CreateThingTypeCommand({
          thingTypeName: 'sensor-type',
          thingTypeProperties: { thingTypeDescription: 'A sensor', searchableAttributes: ['room'] },
        }),
      );
      await iot.send(new CreateBillingGroupCommand({ billingGroupName: 'lab-billing' }));
      const created = await iot.send(
        new CreateThingCommand({
          thingName: 'typed-1',
          thingTypeName: 'sensor-type',
          billingGroupName: 'lab-billing',
          attributePayload: { attributes: { room: 'lab' } },
        }),
      );
      expect(await iot.send(new DescribeThingCommand({ thingName: 'typed-1' }))).toMatchObject({
        defaultClientId: 'typed-1',
        thingName: 'typed-1',
        thingId: created.thingId,
        thingArn: `arn:aws:iot:us-east-1:${SOURCE}:thing/typed-1`,
        thingTypeName: 'sensor-type',
        billingGroupName: 'lab-billing',
        attributes: { room: 'lab' },
        version: 1,
      });
      const thingType = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'sensor-type' }));
      expect(thingType).toMatchObject({
        thingTypeName: 'sensor-type',
        thingTypeArn: `arn:aws:iot:us-east-1:${SOURCE}:thingtype/sensor-type`,
        thingTypeProperties: { thingTypeDescription: 'A sensor', searchableAttributes: ['room'] },
        thingTypeMetadata: { deprecated: false },
      });
      expect(thingType.thingTypeMetadata?.creationDate).toBeInstanceOf(Date);
      await expect(iot.send(new DescribeThingCommand({ thingName: 'never-made' }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('answers ResourceNotFoundException for a thing type or billing group that does not exist', async () => {
      await expect(iot.send(new CreateThingCommand({ thingName: 'orphan-1', thingTypeName: 'no-such-type' }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
      await expect(iot.send(new CreateThingCommand({ thingName: 'orphan-2', billingGroupName: 'no-such-group' }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('allows 3 attributes without a thing type and 50 with one, as the IoT quotas say', async () => {
      const attributes = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`a${index}`, `v${index}`]));
      await iot.send(new CreateThingCommand({ thingName: 'three-attributes', attributePayload: { attributes: attributes(3) } }));
      await expect(
        iot.send(new CreateThingCommand({ thingName: 'four-attributes', attributePayload: { attributes: attributes(4) } })),
      ).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'attributePayload.attributes: a thing without a thing type can have at most 3 attributes (got 4)',
      });
      await iot.send(new CreateThingTypeCommand({ thingTypeName: 'many-attributes' }));
      await iot.send(
        new CreateThingCommand({
          thingName: 'fifty-attributes',
          thingTypeName: 'many-attributes',
          attributePayload: { attributes: attributes(50) },
        }),
      );
      await expect(
        iot.send(
          new CreateThingCommand({
            thingName: 'fifty-one-attributes',
            thingTypeName: 'many-attributes',
            attributePayload: { attributes: attributes(51) },
          }),
        ),
      ).rejects.toMatchObject({
        message: 'attributePayload.attributes: a thing with a thing type can have at most 50 attributes (got 51)',
      });
    });

    it('validates attribute names and values against their patterns and lengths', async () => {
      await expect(
        iot.send(new CreateThingCommand({ thingName: 'bad-name', attributePayload: { attributes: { 'no spaces': 'x' } } })),
      ).rejects.toMatchObject({
        message: 'attributePayload.attributes key: must match the pattern [a-zA-Z0-9_.,@/:#-]+',
      });
      await expect(
        iot.send(new CreateThingCommand({ thingName: 'bad-value', attributePayload: { attributes: { room: 'a b' } } })),
      ).rejects.toMatchObject({
        message: 'attributePayload.attributes.room: must match the pattern [a-zA-Z0-9_.,@/:#=\\[\\]-]*',
      });
      await expect(
        iot.send(new CreateThingCommand({ thingName: 'long-value', attributePayload: { attributes: { room: 'x'.repeat(801) } } })),
      ).rejects.toMatchObject({
        message: 'attributePayload.attributes.room: must be at most 800 characters long (got 801)',
      });
      await expect(iot.send(new CreateThingCommand({ thingName: 'x'.repeat(129) }))).rejects.toMatchObject({
        message: 'thingName: must be at most 128 characters long (got 129)',
      });
    });

    it('updates attributes by merge or replacement, bumps the version and refuses a stale expectedVersion', async () => {
      await iot.send(new CreateThingCommand({ thingName: 'updated', attributePayload: { attributes: { room: 'lab', floor: '1' } } }));
      await iot.send(
        new UpdateThingCommand({ thingName: 'updated', attributePayload: { attributes: { floor: '', desk: '7' }, merge: true } }),
      );
      expect(await iot.send(new DescribeThingCommand({ thingName: 'updated' }))).toMatchObject({
        attributes: { room: 'lab', desk: '7' },
        version: 2,
      });
      await iot.send(
        new UpdateThingCommand({ thingName: 'updated', attributePayload: { attributes: { only: 'this' } }, expectedVersion: 2 }),
      );
      expect(await iot.send(new DescribeThingCommand({ thingName: 'updated' }))).toMatchObject({
        attributes: { only: 'this' },
        version: 3,
      });
      await expect(iot.send(new UpdateThingCommand({ thingName: 'updated', expectedVersion: 2 }))).rejects.toMatchObject(
        iotError('VersionConflictException', 409),
      );
    });

    it('deletes a thing, succeeds for one that does not exist, and refuses one that still has principals', async () => {
      const { certificateArn } = await createCertificate(iot);
      await iot.send(new CreateThingCommand({ thingName: 'to-delete' }));
      await iot.send(new AttachThingPrincipalCommand({ thingName: 'to-delete', principal: certificateArn }));
      await expect(iot.send(new DeleteThingCommand({ thingName: 'to-delete' }))).rejects.toMatchObject({
        ...iotError('InvalidRequestException', 400),
        message: 'Cannot delete. Thing to-delete is still attached to one or more principals',
      });
      await iot.send(new DetachThingPrincipalCommand({ thingName: 'to-delete', principal: certificateArn }));
      await expect(iot.send(new DeleteThingCommand({ thingName: 'to-delete', expectedVersion: 5 }))).rejects.toMatchObject(
        iotError('VersionConflictException', 409),
      );
      await iot.send(new DeleteThingCommand({ thingName: 'to-delete' }));
      await iot.send(new DeleteThingCommand({ thingName: 'to-delete' }));
      await expect(iot.send(new DescribeThingCommand({ thingName: 'to-delete' }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });

    it('lists the principals of a thing with ListThingPrincipals and their attachment type with ListThingPrincipalsV2', async () => {
      const exclusive = await createCertificate(iot);
      const shared = await createCertificate(iot);
      await iot.send(new CreateThingCommand({ thingName: 'with-principals' }));
      await iot.send(
        new AttachThingPrincipalCommand({
          thingName: 'with-principals',
          principal: exclusive.certificateArn,
          thingPrincipalType: 'EXCLUSIVE_THING',
        }),
      );
      await iot.send(new AttachThingPrincipalCommand({ thingName: 'with-principals', principal: shared.certificateArn }));
      const first = await iot.send(new ListThingPrincipalsCommand({ thingName: 'with-principals', maxResults: 1 }));
      expect(first.principals).toEqual([exclusive.certificateArn]);
      expect(
        (await iot.send(new ListThingPrincipalsCommand({ thingName: 'with-principals', nextToken: first.nextToken }))).principals,
      ).toEqual([shared.certificateArn]);
      expect((await iot.send(new ListThingPrincipalsV2Command({ thingName: 'with-principals' }))).thingPrincipalObjects).toEqual([
        { principal: exclusive.certificateArn, thingPrincipalType: 'EXCLUSIVE_THING' },
        { principal: shared.certificateArn, thingPrincipalType: 'NON_EXCLUSIVE_THING' },
      ]);
      expect(
        (await iot.send(new ListThingPrincipalsV2Command({ thingName: 'with-principals', thingPrincipalType: 'EXCLUSIVE_THING' })))
          .thingPrincipalObjects,
      ).toEqual([{ principal: exclusive.certificateArn, thingPrincipalType: 'EXCLUSIVE_THING' }]);
      await iot.send(new CreateThingCommand({ thingName: 'second-home' }));
      await expect(
        iot.send(new AttachThingPrincipalCommand({ thingName: 'second-home', principal: exclusive.certificateArn })),
      ).rejects.toMatchObject(iotError('InvalidRequestException', 400));
      await expect(iot.send(new ListThingPrincipalsCommand({ thingName: 'never-made' }))).rejects.toMatchObject(
        iotError('ResourceNotFoundException', 404),
      );
    });
  });
});
