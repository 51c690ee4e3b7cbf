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
import type { IotOperation } from './iot-operations';

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
  CreatePolicy: { policyName: string; policyDocument: string };
  AttachPolicy: PolicyTargetInput;
  DetachPolicy: PolicyTargetInput;
  ListAttachedPolicies: { target: string; recursive: boolean; pageSize?: number; marker?: string };
  CreateThing: { thingName: string; thingTypeName?: string; attributes: Record<string, string> };
  AttachThingPrincipal: ThingPrincipalInput;
  DetachThingPrincipal: ThingPrincipalInput;
  ListPrincipalThings: { principal: string; maxResults?: number; nextToken?: string };
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
  return { thingName: parseThingName(request.labels.thingName), principal: parseRequiredString(header(request, 'x-amzn-principal'), 'principal') };
}

const THING_PRINCIPAL_TYPES = ['EXCLUSIVE_THING', 'NON_EXCLUSIVE_THING'];

function attributesOf(payload: unknown): Record<string, string> {
  if (payload === undefined || payload === null) return {};
  const attributes = (payload as { attributes?: unknown }).attributes ?? {};
  if (typeof attributes !== 'object' || attributes === null || Object.values(attributes).some((value) => typeof value !== 'string')) {
    throw new ValidationError('attributePayload.attributes', 'must be a map of strings');
  }
  return attributes as Record<string, string>;
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
    policyDocument: parseRequiredString(request.body.policyDocument, 'policyDocument'),
  })),
  route('AttachPolicy', 'PUT', '/target-policies/{policyName}', policyTargetInput),
  route('DetachPolicy', 'POST', '/target-policies/{policyName}', policyTargetInput),
  route('ListAttachedPolicies', 'POST', '/attached-policies/{target}', (request) => ({
    target: parseRequiredString(request.labels.target, 'target'),
    recursive: parseOptionalBoolean(query(request, 'recursive'), 'recursive') ?? false,
    pageSize: parseOptionalPageSize(query(request, 'pageSize'), 'pageSize'),
    marker: parseOptionalMarker(query(request, 'marker'), 'marker'),
  })),
  route('CreateThing', 'POST', '/things/{thingName}', (request) => {
    const thingTypeName = request.body.thingTypeName === undefined ? undefined : parseThingName(request.body.thingTypeName, 'thingTypeName');
    return { thingName: parseThingName(request.labels.thingName), thingTypeName, attributes: attributesOf(request.body.attributePayload) };
  }),
  route('AttachThingPrincipal', 'PUT', '/things/{thingName}/principals', (request) => {
    const principalType = query(request, 'thingPrincipalType');
    if (principalType !== undefined && !THING_PRINCIPAL_TYPES.includes(principalType)) {
      throw new ValidationError('thingPrincipalType', `must be one of ${THING_PRINCIPAL_TYPES.join(', ')}`);
    }
    return thingPrincipalInput(request);
  }),
  route('DetachThingPrincipal', 'DELETE', '/things/{thingName}/principals', thingPrincipalInput),
  route('ListPrincipalThings', 'GET', '/principals/things', (request) => ({
    principal: parseRequiredString(header(request, 'x-amzn-principal'), 'principal'),
    maxResults: parseOptionalPageSize(query(request, 'maxResults'), 'maxResults'),
    nextToken: parseOptionalMarker(query(request, 'nextToken'), 'nextToken'),
  })),
];

export interface MatchedRoute {
  route: AnyRoute;
  labels: Record<string, string>;
}

/** The Action a method and path name, with its labels; undefined when none does. */
export function matchIotRoute(method: string, pathname: string): MatchedRoute | undefined {
  const segments = pathname.split('/').filter(Boolean);
  for (const candidate of IOT_ROUTES) {
    if (candidate.method !== method || candidate.segments.length !== segments.length) continue;
    const labels: Record<string, string> = {};
    const matches = candidate.segments.every((expected, index) => {
      const actual = segments[index] ?? '';
      const label = /^\{(.+)\}$/.exec(expected)?.[1];
      if (label === undefined) return expected === actual;
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
