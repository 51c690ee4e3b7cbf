import {
  DescribeThingCommand,
  DescribeThingTypeCommand,
  GetPolicyCommand,
  ListThingPrincipalsCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import type { CertificateFacts, LandingPlan, ThingLanding } from '../cutover/certificate-facts';
import { ValidationError, parsePolicyName } from '../iot-api/field-rules';
import { toIotActionError } from '../iot-api/iot-errors';

/**
 * How accepted certificates land in this (the target) account, from the target stack's
 * CDK context: the policies every certificate gets, how source policy names map to
 * this account's (a source policy with no entry keeps its name; one mapped to "" is not
 * attached), and whether each thing is recreated here.
 */
export interface LandingConfig {
  policies: string[];
  policyNameMap: Record<string, string>;
  recreateThings: boolean;
}

export const NO_LANDING: LandingConfig = { policies: [], policyNameMap: {}, recreateThings: false };

export function parseLandingConfig(value: unknown, field = 'landing'): LandingConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(field, 'must be a JSON object');
  const fields = value as Record<string, unknown>;
  const policies = fields.policies ?? [];
  if (!Array.isArray(policies)) throw new ValidationError(`${field}.policies`, 'must be a list of policy names');
  const map = fields.policyNameMap ?? {};
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw new ValidationError(`${field}.policyNameMap`, 'must be an object of source policy name to target policy name');
  const policyNameMap: Record<string, string> = {};
  for (const [from, to] of Object.entries(map as Record<string, unknown>)) {
    parsePolicyName(from, `${field}.policyNameMap key`);
    policyNameMap[from] = to === '' ? '' : parsePolicyName(to, `${field}.policyNameMap.${from}`);
  }
  const recreateThings = fields.recreateThings ?? true;
  if (typeof recreateThings !== 'boolean') throw new ValidationError(`${field}.recreateThings`, 'must be a boolean');
  return { policies: policies.map((name, index) => parsePolicyName(name, `${field}.policies[${index}]`)), policyNameMap, recreateThings };
}

/** The landing cannot be done here as configured; the message names what and why. Terminal. */
export class LandingNotPossible extends Error {
  override readonly name = 'LandingNotPossible';
}

/** IoT's limit on attributes of a thing without a thing type (the AWS IoT quotas page). */
const UNTYPED_THING_ATTRIBUTES_MAX = 3;

/**
 * Works out, before the target approvers are asked, how the certificate will land and
 * checks that it can: every policy exists here, and every thing's name is free (or taken
 * by a compatible thing: same type, no certificate attached).
 */
export async function planLanding(deps: { iot: IoTClient }, config: LandingConfig, certificate: CertificateFacts): Promise<LandingPlan> {
  const policies = new Set(config.policies);
  for (const sourcePolicy of certificate.policies) {
    const mapped = config.policyNameMap[sourcePolicy] ?? sourcePolicy;
    if (mapped !== '') policies.add(mapped);
  }
  const problems: string[] = [];
  for (const policyName of policies) {
    if (!(await exists(() => deps.iot.send(new GetPolicyCommand({ policyName }))))) {
      problems.push(
        `policy ${policyName} does not exist in this account (create it, or map the source policy with certflow:landingPolicyMap)`,
      );
    }
  }
  const things: ThingLanding[] = [];
  if (config.recreateThings) {
    for (const thing of certificate.things) {
      const typeExists = thing.thingTypeName
        ? await exists(() => deps.iot.send(new DescribeThingTypeCommand({ thingTypeName: thing.thingTypeName })))
        : false;
      const thingTypeName = typeExists ? thing.thingTypeName : undefined;
      const existing = await describeThing(deps.iot, thing.thingName);
      if (!existing) {
        if (!thingTypeName && Object.keys(thing.attributes).length > UNTYPED_THING_ATTRIBUTES_MAX) {
          problems.push(
            `thing ${thing.thingName} has ${Object.keys(thing.attributes).length} attributes, and without its type (${thing.thingTypeName ?? 'none'}) here a thing may have at most ${UNTYPED_THING_ATTRIBUTES_MAX}: create the thing type first`,
          );
          continue;
        }
        things.push({
          thingName: thing.thingName,
          ...(thingTypeName ? { thingTypeName } : {}),
          attributes: thing.attributes,
          action: 'CREATE',
        });
        continue;
      }
      if ((existing.thingTypeName ?? undefined) !== thingTypeName) {
        problems.push(
          `thing ${thing.thingName} exists in this account with type ${existing.thingTypeName ?? 'none'}, not ${thingTypeName ?? 'none'}`,
        );
        continue;
      }
      if (await hasPrincipals(deps.iot, thing.thingName)) {
        problems.push(`thing ${thing.thingName} exists in this account and already has a certificate attached`);
        continue;
      }
      things.push({
        thingName: thing.thingName,
        ...(thingTypeName ? { thingTypeName } : {}),
        attributes: thing.attributes,
        action: 'REUSE',
      });
    }
  }
  if (problems.length > 0)
    throw new LandingNotPossible(`certificate ${certificate.certificateId} cannot land here: ${problems.join('; ')}`);
  return { policies: [...policies], things };
}

async function exists(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
    throw toIotActionError(error);
  }
}

async function describeThing(iot: IoTClient, thingName: string): Promise<{ thingTypeName?: string } | undefined> {
  try {
    const thing = await iot.send(new DescribeThingCommand({ thingName }));
    return { thingTypeName: thing.thingTypeName };
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw toIotActionError(error);
  }
}

async function hasPrincipals(iot: IoTClient, thingName: string): Promise<boolean> {
  try {
    const page = await iot.send(new ListThingPrincipalsCommand({ thingName, maxResults: 1 }));
    return (page.principals ?? []).length > 0;
  } catch (error) {
    throw toIotActionError(error);
  }
}
