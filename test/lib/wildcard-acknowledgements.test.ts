import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CertflowFunction } from '../../lib/certflow-function';
import { thisAccountsCertificates } from '../../lib/transfer-action-function';
import { acknowledgeCertflowWildcards } from '../../lib/wildcard-acknowledgements';
import { REGION, SOURCE_ACCOUNT } from './certflow-app-fixture';

/** A stack with certflow's wildcard acknowledgements and one function holding `statements`. */
function stackWith(statements: (stack: Stack, auditTable: dynamodb.Table) => iam.PolicyStatement[]): App {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Wildcards', { env: { account: SOURCE_ACCOUNT, region: REGION } });
  const auditTable = new dynamodb.Table(stack, 'AuditTable', { partitionKey: { name: 'rowId', type: dynamodb.AttributeType.STRING } });
  new CertflowFunction(stack, 'Step', {
    entry: 'lambdas/handlers/follow-offer.ts',
    description: 'test',
    statements: statements(stack, auditTable),
  });
  acknowledgeCertflowWildcards(stack, auditTable);
  return app;
}

describe("certflow's acknowledged wildcards", () => {
  it("accept the Actions certflow calls on this account's certificates and the audit indexes", () => {
    const app = stackWith((stack, auditTable) => [
      new iam.PolicyStatement({
        actions: ['iot:TransferCertificate', 'iot:DescribeCertificate'],
        resources: [thisAccountsCertificates(stack)],
      }),
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${auditTable.tableArn}/index/*`] }),
    ]);
    expect(() => app.synth()).not.toThrow();
  });

  it("fail the synthesis when a statement grants another Action on this account's certificates", () => {
    const app = stackWith((stack) => [
      new iam.PolicyStatement({
        actions: ['iot:DescribeCertificate', 'iot:DeleteCertificate'],
        resources: [thisAccountsCertificates(stack)],
      }),
    ]);
    expect(() => app.synth()).toThrow(
      'Wildcards/Step/Role/DefaultPolicy/Resource grants iot:DeleteCertificate on arn:<AWS::Partition>:iot:eu-west-1:111111111111:cert/*, whose acknowledgement covers only iot:DescribeCertificate',
    );
  });

  it('fail the synthesis when a statement scans the audit indexes', () => {
    const app = stackWith((_stack, auditTable) => [
      new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [`${auditTable.tableArn}/index/*`] }),
    ]);
    expect(() => app.synth()).toThrow(
      /grants dynamodb:Scan on <AuditTable[0-9A-F]{8}\.Arn>\/index\/\*, whose acknowledgement covers only dynamodb:Query/,
    );
  });
});
