/** The IoT Actions the local endpoint answers, by their API names. */
export const IOT_OPERATIONS = [
  'CreateKeysAndCertificate',
  'DescribeCertificate',
  'ListCertificates',
  'ListOutgoingCertificates',
  'UpdateCertificate',
  'DeleteCertificate',
  'TransferCertificate',
  'AcceptCertificateTransfer',
  'RejectCertificateTransfer',
  'CancelCertificateTransfer',
  'CreatePolicy',
  'AttachPolicy',
  'DetachPolicy',
  'ListAttachedPolicies',
  'GetPolicy',
  'ListPolicies',
  'ListTargetsForPolicy',
  'CreateThing',
  'DescribeThing',
  'UpdateThing',
  'DeleteThing',
  'CreateThingType',
  'DescribeThingType',
  'CreateBillingGroup',
  'AttachThingPrincipal',
  'DetachThingPrincipal',
  'ListPrincipalThings',
  'ListThingPrincipals',
  'ListThingPrincipalsV2',
  'GetRegistrationCode',
  'RegisterCACertificate',
  'DescribeCACertificate',
  'ListCACertificates',
  'UpdateCACertificate',
  'RegisterCertificate',
  'RegisterCertificateWithoutCA',
  'ListCertificatesByCA',
] as const;

export type IotOperation = (typeof IOT_OPERATIONS)[number];

export function isIotOperation(value: string): value is IotOperation {
  return (IOT_OPERATIONS as readonly string[]).includes(value);
}
