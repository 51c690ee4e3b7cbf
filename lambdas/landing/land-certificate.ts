import { AttachPolicyCommand, CreateThingCommand, DescribeThingCommand } from '@aws-sdk/client-iot';
import type { LandingPlan } from '../cutover/certificate-facts';
import { changeThing } from '../outbound-workflow/prepare-certificate';
import { runTransferAction, type AttemptContext, type TransferActionDeps } from '../transfer-actions/run-transfer-action';

export interface LandingRequest extends AttemptContext {
  certificateId: string;
  /** The certificate's ARN in this (the target) account. */
  certificateArn: string;
  sourceAwsAccount: string;
  landing: LandingPlan;
}

export interface LandingResult {
  /** When every landing call had succeeded: with setAsActive, the moment devices can connect again. */
  landedAt: string;
  policies: string[];
  things: string[];
}

/**
 * Lands an accepted certificate: attaches the planned policies, creates the planned things
 * (same name, type and attributes) and attaches the certificate to each. Each call is an
 * audited attempt, and a re-run finds what was already done, so the step retries safely.
 */
export async function landCertificate(deps: TransferActionDeps, request: LandingRequest): Promise<LandingResult> {
  const auditFields = { sourceAwsAccount: request.sourceAwsAccount, targetAwsAccount: deps.accountId };
  for (const policyName of request.landing.policies) {
    await runTransferAction(deps, {
      action: 'AttachPolicy',
      certificateId: request.certificateId,
      subject: policyName,
      context: request,
      auditFields: { ...auditFields, policyName },
      async call() {
        const output = await deps.iot.send(new AttachPolicyCommand({ policyName, target: request.certificateArn }));
        return { awsRequestId: output.$metadata.requestId };
      },
    });
  }
  for (const thing of request.landing.things) {
    if (thing.action === 'CREATE') {
      await runTransferAction(deps, {
        action: 'CreateThing',
        certificateId: request.certificateId,
        subject: thing.thingName,
        context: request,
        auditFields: { ...auditFields, thingName: thing.thingName },
        async call() {
          const output = await deps.iot.send(
            new CreateThingCommand({
              thingName: thing.thingName,
              thingTypeName: thing.thingTypeName,
              attributePayload: Object.keys(thing.attributes).length > 0 ? { attributes: thing.attributes } : undefined,
            }),
          );
          return { awsRequestId: output.$metadata.requestId };
        },
        async confirmAlreadyApplied(error) {
          if (error.name !== 'ResourceAlreadyExistsException' && error.name !== 'InvalidRequestException') return undefined;
          const existing = await deps.iot.send(new DescribeThingCommand({ thingName: thing.thingName }));
          return (existing.thingTypeName ?? undefined) === thing.thingTypeName ? { awsRequestId: existing.$metadata.requestId } : undefined;
        },
      });
    }
    await changeThing(deps, request, 'AttachThingPrincipal', thing.thingName, undefined, auditFields);
  }
  return {
    landedAt: (deps.now?.() ?? new Date()).toISOString(),
    policies: [...request.landing.policies],
    things: request.landing.things.map((thing) => thing.thingName),
  };
}
