import { readFileSync } from 'node:fs';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export function readTemplate(file: string): CfnTemplate {
  const template = JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
  if (typeof template.Resources !== 'object' || template.Resources === null) {
    throw new Error(`${file} is not a CloudFormation template: it has no Resources`);
  }
  return template;
}

/** Where a template is "deployed" in the sandbox: its account, region and stack name. */
export interface LocalStackTarget {
  accountId: string;
  region: string;
  stackName: string;
}

/**
 * Names and ARNs the sandbox gives a template's resources, the way CloudFormation would
 * in a real account, so that `Ref` and `Fn::GetAtt` resolve to local values.
 */
export class LocalStackResources {
  constructor(
    readonly template: CfnTemplate,
    readonly target: LocalStackTarget,
  ) {}

  resourcesOfType(type: string): Array<[logicalId: string, resource: CfnResource]> {
    return Object.entries(this.template.Resources).filter(([, resource]) => resource.Type === type);
  }

  physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const explicit = NAME_PROPERTY[resource.Type];
    const named = explicit ? resource.Properties?.[explicit] : undefined;
    if (typeof named === 'string') return named;
    // CloudFormation appends a random suffix; the account id keeps two accounts' resources
    // apart in emulators that have one namespace for all accounts (dynalite, S3).
    const generated = `${this.target.stackName}-${logicalId}-${this.target.accountId}`;
    // Bucket names are lowercase and at most 63 characters.
    return resource.Type === 'AWS::S3::Bucket'
      ? generated
          .toLowerCase()
          .slice(-63)
          .replace(/^[^a-z0-9]+/, '')
      : generated.slice(0, 64);
  }

  arn(logicalId: string): string {
    const { accountId, region } = this.target;
    const resource = this.resource(logicalId);
    const name = this.physicalName(logicalId);
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${accountId}:table/${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${accountId}:${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${accountId}:role/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${accountId}:log-group:${name}:*`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${accountId}:${name}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${region}:${accountId}:event-bus/${name}`;
      case 'AWS::Events::Rule': {
        const bus = this.ruleBusName(logicalId);
        return `arn:aws:events:${region}:${accountId}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
      }
      default:
        return `arn:aws:${resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown'}:${region}:${accountId}:${name}`;
    }
  }

  /** Resolves the intrinsic functions CDK emits (Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first) {
      const [key, argument] = first;
      switch (key) {
        case 'Ref':
          return this.ref(String(argument));
        case 'Fn::GetAtt':
          return this.getAtt(argument);
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = argument as [unknown, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, source] = argument as [string, unknown];
          return String(this.resolve(source)).split(separator);
        }
        case 'Fn::Sub':
          return this.sub(argument);
      }
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  /** The name of the bus an AWS::Events::Rule is on: its EventBusName (a name or an ARN), or `default`. */
  ruleBusName(logicalId: string): string {
    const busName = this.resource(logicalId).Properties?.EventBusName;
    if (busName === undefined) return 'default';
    const resolved = String(this.resolve(busName));
    return resolved.startsWith('arn:') ? resolved.slice(resolved.indexOf(':event-bus/') + ':event-bus/'.length) : resolved;
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`the template has no resource ${logicalId}`);
    return resource;
  }

  private ref(name: string): string {
    const { accountId, region, stackName } = this.target;
    const pseudo: Record<string, string> = {
      'AWS::AccountId': accountId,
      'AWS::Region': region,
      'AWS::Partition': 'aws',
      'AWS::StackName': stackName,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NoValue': '',
    };
    if (name in pseudo) return pseudo[name] as string;
    const type = this.resource(name).Type;
    if (type === 'AWS::Events::Rule') {
      // CloudFormation's Ref of a rule on a custom bus is `bus|rule`.
      const bus = this.ruleBusName(name);
      return bus === 'default' ? this.physicalName(name) : `${bus}|${this.physicalName(name)}`;
    }
    return REF_IS_ARN.has(type) ? this.arn(name) : this.physicalName(name);
  }

  private getAtt(argument: unknown): string {
    const [logicalId, attribute] = Array.isArray(argument) ? (argument as string[]) : String(argument).split('.');
    if (!logicalId || !attribute) throw new Error(`malformed Fn::GetAtt ${JSON.stringify(argument)}`);
    if (attribute === 'Arn') return this.arn(logicalId);
    if (attribute === 'Name' || attribute === 'TopicName' || attribute === 'QueueName') return this.physicalName(logicalId);
    throw new Error(`the sandbox cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
  }

  private sub(argument: unknown): string {
    const [text, variables] = Array.isArray(argument) ? (argument as [string, Record<string, unknown>]) : [String(argument), {}];
    return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in variables) return String(this.resolve(variables[name]));
      return name.includes('.') ? this.getAtt(name) : this.ref(name);
    });
  }
}

/** Resource types whose Ref is an ARN rather than a name. */
const REF_IS_ARN = new Set(['AWS::StepFunctions::StateMachine', 'AWS::SNS::Topic', 'AWS::SecretsManager::Secret']);

const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::ApiGateway::Stage': 'StageName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
};
