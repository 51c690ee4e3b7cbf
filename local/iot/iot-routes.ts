import type { IncomingHttpHeaders } from 'node:http';
import {
  parseAwsAccountId,
  parseCertificateId,
  parseCertificateStatus,
  parseOptionalBoolean,
  parseOptionalMarker,
  parseOptionalMessage,
  parseOptionalPageSize,
  parsePolicyName,
  parseRequiredString,
  parseThingName,
  ValidationError,
  type CertificateStatus,
} from '../../lambdas/iot-api/field-rules';
import {
  parseCertificatePem,
  parseOptionalAttributes,
  parseOptionalCertificatePem,
  parseOptionalDescription,
  parseOptionalEnum,
  parseOptionalStringList,
  parseOptionalStructure,
  parseOptionalTags,
  parseOptionalTemplateName,
  parseOptionalVersion,
  parseAttributeName,
} from './iot-field-rules';
import type { IotOperation } from './iot-operations';
import type {
  AutoRegistrationStatus,
  CaCertificateStatus,
  CertificateMode,
  StoredRegistrationConfig,
  ThingPrincipalType,
} from './registry-rows';

/**
 * The REST bindings of the IoT Actions (method, path, query, header and body members,
 * as the service model binds them), and the parsing of a request into an Action's
 * input through the shared field rules.
 */

export interface IotInputs {
  CreateKeysAndCertificate: { setAsActive: boolean };
  DescribeCertificate: { certificateId: string };
  ListCertificates: CertificateListInput;
  ListOutgoingCertificates: CertificateListInput;
  UpdateCertificate: { certificateId: string; newStatus: CertificateStatus };
  DeleteCertificate: { certificateId: string; forceDelete: boolean };
  TransferCertificate: { certificateId: string; targetAwsAccount: string; transferMessage?: string };
  AcceptCertificateTransfer: { certificateId: string; setAsActive: boolean };
  RejectCertificateTransfer: { certificateId: string; rejectReason?: string };
  CancelCertificateTransfer: { certificateId: string };
  CreatePolicy: { policyName: string; policyDocument: string; tags?: Array<{ Key: string; Value?: string }> };
  AttachPolicy: PolicyTargetInput;
  DetachPolicy: PolicyTargetInput;
  ListAttachedPolicies: { target: string; recursive: boolean; pageSize?: number; marker?: string };
  GetPolicy: { policyName: string };
  ListPolicies: CertificateListInput;
  ListTargetsForPolicy: { policyName: string; pageSize?: number; marker?: string };
  CreateThing: { thingName: string; thingTypeName?: string; billingGroupName?: string; attributes: Record<string, string> };
  DescribeThing: { thingName: string };
  UpdateThing: {
    thingName: string;
    thingTypeName?: string;
    removeThingType: boolean;
    attributes?: Record<string, string>;
    merge: boolean;
    expectedVersion?: number;
  };
  DeleteThing: { thingName: string; expectedVersion?: number };
  CreateThingType: { thingTypeName: string; description?: string; searchableAttributes?: string[] };
  DescribeThingType: { thingTypeName: string };
  CreateBillingGroup: { billingGroupName: string; description?: string };
  AttachThingPrincipal: ThingPrincipalInput & { thingPrincipalType: ThingPrincipalType };
  DetachThingPrincipal: ThingPrincipalInput;
  ListPrincipalThings: { principal: string; maxResults?: number; nextToken?: string };
  ListThingPrincipals: ThingPrincipalListInput;
  ListThingPrincipalsV2: ThingPrincipalListInput & { thingPrincipalType?: ThingPrincipalType };
  GetRegistrationCode: Record<string, never>;
  RegisterCACertificate: {
    caCertificate: string;
    verificationCertificate?: string;
    certificateMode: CertificateMode;
    setAsActive: boolean;
    allowAutoRegistration: boolean;
    registrationConfig?: StoredRegistrationConfig;
  };
  DescribeCACertificate: { certificateId: string };
  ListCACertificates: CertificateListInput & { templateName?: string };
  UpdateCACertificate: {
    certificateId: string;
    newStatus?: CaCertificateStatus;
    newAutoRegistrationStatus?: AutoRegistrationStatus;
    registrationConfig?: StoredRegistrationConfig;
    removeAutoRegistration: boolean;
  };
  RegisterCertificate: { certificatePem: string; caCertificatePem?: string; setAsActive?: boolean; status?: CertificateStatus };
  RegisterCertificateWithoutCA: { certificatePem: string; status?: CertificateStatus };
  ListCertificatesByCA: CertificateListInput & { caCertificateId: string };
}

export interface ThingPrincipalListInput {
  thingName: string;
  maxResults?: number;
  nextToken?: string;
}

export interface CertificateListInput {
  pageSize?: number;
  marker?: string;
  ascendingOrder: boolean;
}

export interface PolicyTargetInput {
  policyName: string;
  target: string;
}

export interface ThingPrincipalInput {
  thingName: string;
  principal: string;
}

/** What a request carries, with the path labels already URI-decoded. */
export interface IotHttpRequest {
  labels: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

interface Route<Operation extends IotOperation> {
  operation: Operation;
  method: string;
  /** Path segments; `{name}` is a label. */
  segments: string[];
  parse(request: IotHttpRequest): IotInputs[Operation];
}

type AnyRoute = { [Operation in IotOperation]: Route<Operation> }[IotOperation];

function route<Operation extends IotOperation>(
  operation: Operation,
  method: string,
  path: string,
  parse: (request: IotHttpRequest) => IotInputs[Operation],
): Route<Operation> {
  return { operation, method, segments: path.split('/').filter(Boolean), parse };
}

function query(request: IotHttpRequest, name: string): string | undefined {
  return request.query.get(name) ?? undefined;
}

function header(request: IotHttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function certificateListInput(request: IotHttpRequest): CertificateListInput {
  return {
    pageSize: parseOptionalPageSize(query(request, 'pageSize'), 'pageSize'),
    marker: parseOptionalMarker(query(request, 'marker'), 'marker'),
    ascendingOrder: parseOptionalBoolean(query(request, 'isAscendingOrder'), 'isAscendingOrder') ?? false,
  };
}

function policyTargetInput(request: IotHttpRequest): PolicyTargetInput {
  return { policyName: parsePolicyName(request.labels.policyName), target: parseRequiredString(request.body.target, 'target') };
}

function thingPrincipalInput(request: IotHttpRequest): ThingPrincipalInput {
  return {
    thingName: parseThingName(request.labels.thingName),
    principal: parseRequiredString(header(request, 'x-amzn-principal'), 'principal'),
  };
}

const THING_PRINCIPAL_TYPES = ['EXCLUSIVE_THING', 'NON_EXCLUSIVE_THING'] as const;
const CERTIFICATE_MODES = ['DEFAULT', 'SNI_ONLY'] as const;
const CA_CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE'] as const;
const AUTO_REGISTRATION_STATUSES = ['ENABLE', 'DISABLE'] as const;

function attributePayloadOf(body: Record<string, unknown>): { attributes?: Record<string, string>; merge?: boolean } {
  const payload = parseOptionalStructure(body.attributePayload, 'attributePayload');
  if (!payload) return {};
  return {
    attributes: parseOptionalAttributes(payload.attributes, 'attributePayload.attributes'),
    merge: parseOptionalBoolean(payload.merge, 'attributePayload.merge'),
  };
}

function optionalThingName(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : parseThingName(value, field);
}

function thingPrincipalListInput(request: IotHttpRequest): ThingPrincipalListInput {
  return {
    thingName: parseThingName(request.labels.thingName),
    maxResults: parseOptionalPageSize(query(request, 'maxResults'), 'maxResults'),
    nextToken: parseOptionalMarker(query(request, 'nextToken'), 'nextToken'),
  };
}

function registrationConfigOf(value: unknown): StoredRegistrationConfig | undefined {
  const config = parseOptionalStructure(value, 'registrationConfig');
  if (!config) return undefined;
  const text = (member: string, max: number): string | undefined => {
    const item = config[member];
    if (item === undefined || item === null) return undefined;
    if (typeof item !== 'string' || item.length > max)
      throw new ValidationError(`registrationConfig.${member}`, `must be a string of at most ${max} characters`);
    return item;
  };
  return {
    templateBody: text('templateBody', 10240),
    roleArn: text('roleArn', 2048),
    templateName: parseOptionalTemplateName(config.templateName, 'registrationConfig.templateName'),
  };
}

function optionalCertificateStatus(value: unknown, field: string): CertificateStatus | undefined {
  return value === undefined || value === null ? undefined : parseCertificateStatus(value, field);
}

export const IOT_ROUTES: readonly AnyRoute[] = [
  route('CreateKeysAndCertificate', 'POST', '/keys-and-certificate', (request) => ({
    setAsActive: parseOptionalBoolean(query(request, 'setAsActive'), 'setAsActive') ?? false,
  })),
  route('ListCertificates', 'GET', '/certificates', certificateListInput),
  route('ListOutgoingCertificates', 'GET', '/certificates-out-going', certificateListInput),
  route('DescribeCertificate', 'GET', '/certificates/{certificateId}', (request) => ({
    certificateId: parseCertificateId(request.labels.certificateId),
  })),
  route('UpdateCertificate', 'PUT', '/certificates/{certificateId}', (request) => ({
    certificateId: parseCertificateId(request.labels.certificateId),
    newStatus: parseCertificateStatus(query(request, 'newStatus'), 'newStatus'),
  })),
  route('DeleteCertificate', 'DELETE', '/certificates/{certificateId}', (request) => ({
    certificateId: parseCertificateId(request.labels.certificateId),
    forceDelete: parseOptionalBoolean(query(request, 'forceDelete'), 'forceDelete') ?? false,
  })),
  route('TransferCertificate', 'PATCH', '/transfer-certificate/{certificateId}', (request) => ({
    certificateId: parseCertificateId(request.labels.certificateId),
    targetAwsAccount: parseAwsAccountId(query(request, 'targetAwsAccount'), 'targetAwsAccount'),
    transferMessage: parseOptionalMessage(request.body.transferMessage, 'transferMessage'),
  })),
  route('AcceptCertificateTransfer', 'PATCH', '/accept-certificate-transfer/{certificateId}', (request) => ({
    certificateId: parseCertificateId(request.labels.certificateId),
    setAsActive: parseOptionalBoolean(query(request, 'setAsActive'), 'setAsActive') ?? false,
  })),
  route('RejectCertificateTransfer', 'PATCH', '/reject-certificate-transfer/{certificateId}', (request) => ({
    certificateId: parseCertificateId(request.labels.certificateId),
    rejectReason: parseOptionalMessage(request.body.rejectReason, 'rejectReason'),
  })),
  route('CancelCertificateTransfer', 'PATCH', '/cancel-certificate-transfer/{certificateId}', (request) => ({
    certificateId: parseCertificateId(request.labels.certificateId),
  })),
  route('CreatePolicy', 'POST', '/policies/{policyName}', (request) => ({
    policyName: parsePolicyName(request.labels.policyName),
    policyDocument: parsePolicyDocument(request.body.policyDocument),
    tags: parseOptionalTags(request.body.tags),
  })),
  route('GetPolicy', 'GET', '/policies/{policyName}', (request) => ({ policyName: parsePolicyName(request.labels.policyName) })),
  route('ListPolicies', 'GET', '/policies', certificateListInput),
  route('ListTargetsForPolicy', 'POST', '/policy-targets/{policyName}', (request) => ({
    policyName: parsePolicyName(request.labels.policyName),
    pageSize: parseOptionalPageSize(query(request, 'pageSize'), 'pageSize'),
    marker: parseOptionalMarker(query(request, 'marker'), 'marker'),
  })),
  route('AttachPolicy', 'PUT', '/target-policies/{policyName}', policyTargetInput),
  route('DetachPolicy', 'POST', '/target-policies/{policyName}', policyTargetInput),
  route('ListAttachedPolicies', 'POST', '/attached-policies/{target}', (request) => ({
    target: parseRequiredString(request.labels.target, 'target'),
    recursive: parseOptionalBoolean(query(request, 'recursive'), 'recursive') ?? false,
    pageSize: parseOptionalPageSize(query(request, 'pageSize'), 'pageSize'),
    marker: parseOptionalMarker(query(request, 'marker'), 'marker'),
  })),
  route('CreateThing', 'POST', '/things/{thingName}', (request) => ({
    thingName: parseThingName(request.labels.thingName),
    thingTypeName: optionalThingName(request.body.thingTypeName, 'thingTypeName'),
    billingGroupName: optionalThingName(request.body.billingGroupName, 'billingGroupName'),
    attributes: attributePayloadOf(request.body).attributes ?? {},
  })),
  route('DescribeThing', 'GET', '/things/{thingName}', (request) => ({ thingName: parseThingName(request.labels.thingName) })),
  route('UpdateThing', 'PATCH', '/things/{thingName}', (request) => {
    const payload = attributePayloadOf(request.body);
    return {
      thingName: parseThingName(request.labels.thingName),
      thingTypeName: optionalThingName(request.body.thingTypeName, 'thingTypeName'),
      removeThingType: parseOptionalBoolean(request.body.removeThingType, 'removeThingType') ?? false,
      attributes: payload.attributes,
      merge: payload.merge ?? false,
      expectedVersion: parseOptionalVersion(request.body.expectedVersion, 'expectedVersion'),
    };
  }),
  route('DeleteThing', 'DELETE', '/things/{thingName}', (request) => ({
    thingName: parseThingName(request.labels.thingName),
    expectedVersion: parseOptionalVersion(query(request, 'expectedVersion'), 'expectedVersion'),
  })),
  route('CreateThingType', 'POST', '/thing-types/{thingTypeName}', (request) => {
    const properties = parseOptionalStructure(request.body.thingTypeProperties, 'thingTypeProperties') ?? {};
    parseOptionalTags(request.body.tags);
    return {
      thingTypeName: parseThingName(request.labels.thingTypeName, 'thingTypeName'),
      description: parseOptionalDescription(properties.thingTypeDescription, 'thingTypeProperties.thingTypeDescription'),
      searchableAttributes: parseOptionalStringList(
        properties.searchableAttributes,
        'thingTypeProperties.searchableAttributes',
        parseAttributeName,
      ),
    };
  }),
  route('DescribeThingType', 'GET', '/thing-types/{thingTypeName}', (request) => ({
    thingTypeName: parseThingName(request.labels.thingTypeName, 'thingTypeName'),
  })),
  route('CreateBillingGroup', 'POST', '/billing-groups/{billingGroupName}', (request) => {
    const properties = parseOptionalStructure(request.body.billingGroupProperties, 'billingGroupProperties') ?? {};
    parseOptionalTags(request.body.tags);
    return {
      billingGroupName: parseThingName(request.labels.billingGroupName, 'billingGroupName'),
      description: parseOptionalDescription(properties.billingGroupDescription, 'billingGroupProperties.billingGroupDescription'),
    };
  }),
  route('AttachThingPrincipal', 'PUT', '/things/{thingName}/principals', (request) => ({
    ...thingPrincipalInput(request),
    thingPrincipalType:
      parseOptionalEnum(query(request, 'thingPrincipalType'), 'thingPrincipalType', THING_PRINCIPAL_TYPES) ?? 'NON_EXCLUSIVE_THING',
  })),
  route('DetachThingPrincipal', 'DELETE', '/things/{thingName}/principals', thingPrincipalInput),
  route('ListThingPrincipals', 'GET', '/things/{thingName}/principals', thingPrincipalListInput),
  route('ListThingPrincipalsV2', 'GET', '/things/{thingName}/principals-v2', (request) => ({
    ...thingPrincipalListInput(request),
    thingPrincipalType: parseOptionalEnum(query(request, 'thingPrincipalType'), 'thingPrincipalType', THING_PRINCIPAL_TYPES),
  })),
  route('ListPrincipalThings', 'GET', '/principals/things', (request) => ({
    principal: parseRequiredString(header(request, 'x-amzn-principal'), 'principal'),
    maxResults: parseOptionalPageSize(query(request, 'maxResults'), 'maxResults'),
    nextToken: parseOptionalMarker(query(request, 'nextToken'), 'nextToken'),
  })),
  route('GetRegistrationCode', 'GET', '/registrationcode', () => ({})),
  route('RegisterCACertificate', 'POST', '/cacertificate', (request) => {
    parseOptionalTags(request.body.tags);
    return {
      caCertificate: parseCertificatePem(request.body.caCertificate, 'caCertificate'),
      verificationCertificate: parseOptionalCertificatePem(request.body.verificationCertificate, 'verificationCertificate'),
      certificateMode: parseOptionalEnum(request.body.certificateMode, 'certificateMode', CERTIFICATE_MODES) ?? 'DEFAULT',
      setAsActive: parseOptionalBoolean(query(request, 'setAsActive'), 'setAsActive') ?? false,
      allowAutoRegistration: parseOptionalBoolean(query(request, 'allowAutoRegistration'), 'allowAutoRegistration') ?? false,
      registrationConfig: registrationConfigOf(request.body.registrationConfig),
    };
  }),
  route('DescribeCACertificate', 'GET', '/cacertificate/{caCertificateId}', (request) => ({
    certificateId: parseCertificateId(request.labels.caCertificateId, 'caCertificateId'),
  })),
  route('ListCACertificates', 'GET', '/cacertificates', (request) => ({
    ...certificateListInput(request),
    templateName: parseOptionalTemplateName(query(request, 'templateName'), 'templateName'),
  })),
  route('UpdateCACertificate', 'PUT', '/cacertificate/{caCertificateId}', (request) => ({
    certificateId: parseCertificateId(request.labels.caCertificateId, 'caCertificateId'),
    newStatus: parseOptionalEnum(query(request, 'newStatus'), 'newStatus', CA_CERTIFICATE_STATUSES),
    newAutoRegistrationStatus: parseOptionalEnum(
      query(request, 'newAutoRegistrationStatus'),
      'newAutoRegistrationStatus',
      AUTO_REGISTRATION_STATUSES,
    ),
    registrationConfig: registrationConfigOf(request.body.registrationConfig),
    removeAutoRegistration: parseOptionalBoolean(request.body.removeAutoRegistration, 'removeAutoRegistration') ?? false,
  })),
  route('RegisterCertificate', 'POST', '/certificate/register', (request) => ({
    certificatePem: parseCertificatePem(request.body.certificatePem, 'certificatePem'),
    caCertificatePem: parseOptionalCertificatePem(request.body.caCertificatePem, 'caCertificatePem'),
    setAsActive: parseOptionalBoolean(query(request, 'setAsActive'), 'setAsActive'),
    status: optionalCertificateStatus(request.body.status, 'status'),
  })),
  route('RegisterCertificateWithoutCA', 'POST', '/certificate/register-no-ca', (request) => ({
    certificatePem: parseCertificatePem(request.body.certificatePem, 'certificatePem'),
    status: optionalCertificateStatus(request.body.status, 'status'),
  })),
  route('ListCertificatesByCA', 'GET', '/certificates-by-ca/{caCertificateId}', (request) => ({
    ...certificateListInput(request),
    caCertificateId: parseCertificateId(request.labels.caCertificateId, 'caCertificateId'),
  })),
];

/** PolicyDocument in the model: a string of 0 to 404,600 characters; CreatePolicy's own limit is checked by the registry. */
export const POLICY_DOCUMENT_MODEL_MAX_LENGTH = 404600;

function parsePolicyDocument(value: unknown): string {
  const document = parseRequiredString(value, 'policyDocument');
  if (document.length > POLICY_DOCUMENT_MODEL_MAX_LENGTH) {
    throw new ValidationError(
      'policyDocument',
      `must be at most ${POLICY_DOCUMENT_MODEL_MAX_LENGTH} characters long (got ${document.length})`,
    );
  }
  return document;
}

export interface MatchedRoute {
  route: AnyRoute;
  labels: Record<string, string>;
}

/**
 * The Action a method and path name, with its labels; undefined when none does. Path
 * segments are compared as they are: an empty segment (`/certificates/`) is neither
 * the literal route without it nor a label, since a label is never empty.
 */
export function matchIotRoute(method: string, pathname: string): MatchedRoute | undefined {
  const segments = pathname.split('/').slice(1);
  for (const candidate of IOT_ROUTES) {
    if (candidate.method !== method || candidate.segments.length !== segments.length) continue;
    const labels: Record<string, string> = {};
    const matches = candidate.segments.every((expected, index) => {
      const actual = segments[index] ?? '';
      const label = /^\{(.+)\}$/.exec(expected)?.[1];
      if (label === undefined) return expected === actual;
      if (actual === '') return false;
      try {
        labels[label] = decodeURIComponent(actual);
      } catch {
        return false;
      }
      return true;
    });
    if (matches) return { route: candidate, labels };
  }
  return undefined;
}

/** An Action with its input, correlated so that a switch on `operation` narrows `input`. */
export type IotCall = { [Operation in IotOperation]: { operation: Operation; input: IotInputs[Operation] } }[IotOperation];

/** Parses the request into the matched Action's input; throws ValidationError naming the field. */
export function parseIotCall(matched: MatchedRoute, request: Omit<IotHttpRequest, 'labels'>): IotCall {
  const input = matched.route.parse({ ...request, labels: matched.labels });
  return { operation: matched.route.operation, input } as IotCall;
}
