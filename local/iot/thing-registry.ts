import { randomUUID } from 'node:crypto';
import type { Caller, CertificateRegistry } from './certificate-registry';
import { IotServiceError } from './iot-errors';
import type { EntityTable } from './registry-store';
import { accountKey, thingArn, thingTypeArn, type StoredBillingGroup, type StoredThing, type StoredThingType } from './registry-rows';

/**
 * Things, thing types and billing groups of every account. Principals are attached to
 * things through the CertificateRegistry, which keeps the attachments on the
 * certificates; this registry asks it before it deletes a thing.
 */

/** AWS IoT Core quotas: "Maximum number of thing attributes for a thing with a thing type" and "... without a thing type". */
export const ATTRIBUTES_WITH_THING_TYPE = 50;
export const ATTRIBUTES_WITHOUT_THING_TYPE = 3;

export interface ThingConfiguration {
  thingTypeName?: string;
  billingGroupName?: string;
  attributes: Record<string, string>;
}

export interface ThingUpdate {
  thingTypeName?: string;
  removeThingType: boolean;
  attributes?: Record<string, string>;
  merge: boolean;
  expectedVersion?: number;
}

function sameAttributes(left: Record<string, string>, right: Record<string, string>): boolean {
  const leftKeys = Object.keys(left).sort();
  const rightKeys = Object.keys(right).sort();
  return leftKeys.length === rightKeys.length && leftKeys.every((key, index) => key === rightKeys[index] && left[key] === right[key]);
}

function refuseTooManyAttributes(attributes: Record<string, string>, thingTypeName: string | undefined): void {
  const allowed = thingTypeName === undefined ? ATTRIBUTES_WITHOUT_THING_TYPE : ATTRIBUTES_WITH_THING_TYPE;
  const count = Object.keys(attributes).length;
  if (count > allowed) {
    const kind = thingTypeName === undefined ? 'without a thing type' : 'with a thing type';
    throw new IotServiceError(
      'InvalidRequestException',
      `attributePayload.attributes: a thing ${kind} can have at most ${allowed} attributes (got ${count})`,
    );
  }
}

/** Attributes whose value is empty are removed, as UpdateThing documents. */
function withoutEmptyValues(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== ''));
}

export function thingVersion(thing: StoredThing): number {
  return thing.version ?? 1;
}

export class ThingRegistry {
  private readonly things: EntityTable<StoredThing>;
  private readonly thingTypes: EntityTable<StoredThingType>;
  private readonly billingGroups: EntityTable<StoredBillingGroup>;

  constructor(private readonly certificates: CertificateRegistry) {
    this.things = certificates.things;
    this.thingTypes = certificates.store.table('thingType');
    this.billingGroups = certificates.store.table('billingGroup');
  }

  /** Creating the same thing again with the same configuration answers the existing thing, as AWS documents. */
  createThing(caller: Caller, thingName: string, configuration: ThingConfiguration): StoredThing {
    const { thingTypeName, billingGroupName, attributes } = configuration;
    const key = accountKey(caller.accountId, thingName);
    const existing = this.things.get(key);
    if (existing) {
      if (
        existing.thingTypeName === thingTypeName &&
        existing.billingGroupName === billingGroupName &&
        sameAttributes(existing.attributes, attributes)
      ) {
        return existing;
      }
      throw new IotServiceError('ResourceAlreadyExistsException', `Thing ${thingName} already exists with a different configuration`, {
        resourceId: existing.thingId,
        resourceArn: thingArn(existing),
      });
    }
    if (thingTypeName !== undefined) this.describeThingType(caller, thingTypeName);
    if (billingGroupName !== undefined && !this.billingGroups.get(accountKey(caller.accountId, billingGroupName))) {
      throw new IotServiceError('ResourceNotFoundException', `The billing group ${billingGroupName} does not exist`);
    }
    refuseTooManyAttributes(attributes, thingTypeName);
    const thing: StoredThing = {
      accountId: caller.accountId,
      region: caller.region,
      thingName,
      thingId: randomUUID(),
      thingTypeName,
      billingGroupName,
      attributes,
      version: 1,
    };
    this.things.put(key, thing);
    return thing;
  }

  describeThing(caller: Caller, thingName: string): StoredThing {
    return this.certificates.ownThing(caller, thingName);
  }

  updateThing(caller: Caller, thingName: string, update: ThingUpdate): void {
    const thing = this.certificates.ownThing(caller, thingName);
    if (update.expectedVersion !== undefined && update.expectedVersion !== thingVersion(thing)) {
      throw new IotServiceError(
        'VersionConflictException',
        `Thing ${thingName} is at version ${thingVersion(thing)}, not ${update.expectedVersion}`,
      );
    }
    if (update.removeThingType && update.thingTypeName !== undefined) {
      throw new IotServiceError('InvalidRequestException', 'removeThingType: cannot be true when thingTypeName is given');
    }
    if (update.thingTypeName !== undefined) this.describeThingType(caller, update.thingTypeName);
    const thingTypeName = update.removeThingType ? undefined : (update.thingTypeName ?? thing.thingTypeName);
    const attributes =
      update.attributes === undefined
        ? thing.attributes
        : withoutEmptyValues(update.merge ? { ...thing.attributes, ...update.attributes } : update.attributes);
    refuseTooManyAttributes(attributes, thingTypeName);
    thing.thingTypeName = thingTypeName;
    thing.attributes = attributes;
    thing.version = thingVersion(thing) + 1;
    this.things.changed(accountKey(caller.accountId, thingName));
  }

  /**
   * Deleting a thing that does not exist succeeds, as the API reference says. A thing
   * that still has principals is refused with InvalidRequestException, the answer AWS
   * users report ("Thing ... is still attached to one or more principals").
   */
  deleteThing(caller: Caller, thingName: string, expectedVersion: number | undefined): void {
    const key = accountKey(caller.accountId, thingName);
    const thing = this.things.get(key);
    if (!thing) return;
    if (expectedVersion !== undefined && expectedVersion !== thingVersion(thing)) {
      throw new IotServiceError(
        'VersionConflictException',
        `Thing ${thingName} is at version ${thingVersion(thing)}, not ${expectedVersion}`,
      );
    }
    if (this.certificates.certificatesAttachedTo(thing).length > 0) {
      throw new IotServiceError('InvalidRequestException', `Cannot delete. Thing ${thingName} is still attached to one or more principals`);
    }
    this.things.delete(key);
  }

  /** Creating the same thing type again with the same properties answers the existing type, as AWS documents. */
  createThingType(
    caller: Caller,
    thingTypeName: string,
    properties: { description?: string; searchableAttributes?: string[] },
    now: number,
  ): StoredThingType {
    const key = accountKey(caller.accountId, thingTypeName);
    const existing = this.thingTypes.get(key);
    if (existing) {
      const same =
        existing.description === properties.description &&
        JSON.stringify(existing.searchableAttributes ?? []) === JSON.stringify(properties.searchableAttributes ?? []);
      if (same) return existing;
      throw new IotServiceError(
        'ResourceAlreadyExistsException',
        `Thing type ${thingTypeName} already exists with a different configuration`,
        {
          resourceId: existing.thingTypeId,
          resourceArn: thingTypeArn(existing),
        },
      );
    }
    const thingType: StoredThingType = {
      accountId: caller.accountId,
      region: caller.region,
      thingTypeName,
      thingTypeId: randomUUID(),
      description: properties.description,
      searchableAttributes: properties.searchableAttributes,
      creationDate: now,
    };
    this.thingTypes.put(key, thingType);
    return thingType;
  }

  describeThingType(caller: Caller, thingTypeName: string): StoredThingType {
    const thingType = this.thingTypes.get(accountKey(caller.accountId, thingTypeName));
    if (!thingType) throw new IotServiceError('ResourceNotFoundException', `The thing type ${thingTypeName} does not exist`);
    return thingType;
  }

  createBillingGroup(caller: Caller, billingGroupName: string, description: string | undefined, now: number): StoredBillingGroup {
    const key = accountKey(caller.accountId, billingGroupName);
    const existing = this.billingGroups.get(key);
    if (existing) {
      if (existing.description === description) return existing;
      throw new IotServiceError(
        'ResourceAlreadyExistsException',
        `Billing group ${billingGroupName} already exists with a different configuration`,
        {
          resourceId: existing.billingGroupId,
        },
      );
    }
    const group: StoredBillingGroup = {
      accountId: caller.accountId,
      region: caller.region,
      billingGroupName,
      billingGroupId: randomUUID(),
      description,
      creationDate: now,
    };
    this.billingGroups.put(key, group);
    return group;
  }
}
