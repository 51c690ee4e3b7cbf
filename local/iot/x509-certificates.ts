import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import * as forge from 'node-forge';

/**
 * X.509 certificates as CreateKeysAndCertificate issues them: subject
 * "CN=AWS IoT Certificate", valid until 2049-12-31T23:59:59Z, signed with SHA-256/RSA by
 * an issuing CA, and identified by the SHA-256 of their DER. The local CA stands in for
 * Amazon's; it says so in its name.
 */

const { asn1 } = forge;
const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  countryName: '2.5.4.6',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
} as const;

export const DEVICE_CERTIFICATE_SUBJECT = 'AWS IoT Certificate';
export const LOCAL_CA_NAME = 'certflow local IoT CA';
/** AWS IoT's own device certificates expire at the end of 2049. */
export const DEVICE_CERTIFICATE_NOT_AFTER = new Date('2049-12-31T23:59:59Z');

export interface IssuedCertificate {
  certificatePem: string;
  certificateId: string;
  notBefore: Date;
  notAfter: Date;
}

/** What it takes to bring the same CA back after a restart. */
export interface CertificateAuthorityMaterial {
  certificatePem: string;
  privateKeyPem: string;
}

type Asn1 = forge.asn1.Asn1;

function sequence(...values: Asn1[]): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, values);
}

function oid(value: string): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(value).getBytes());
}

/** forge's typings omit the options form of fromDer; bit strings must stay opaque to re-encode keys byte for byte. */
const parseDer = asn1.fromDer as unknown as (der: string, options: { decodeBitStrings: boolean }) => Asn1;

function bytes(buffer: Buffer): string {
  return buffer.toString('binary');
}

function name(attributes: Array<[string, string]>): Asn1 {
  return sequence(
    ...attributes.map(([type, value]) =>
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [
        sequence(oid(type), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, forge.util.encodeUtf8(value))),
      ]),
    ),
  );
}

function time(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  const parts = [oid(id)];
  if (critical) parts.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, '\xff'));
  parts.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(value).getBytes()));
  return sequence(...parts);
}

function bitString(content: string): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\x00${content}`);
}

/** A positive 20-byte serial number, as AWS IoT's certificates have. */
function serialNumber(): Asn1 {
  const serial = randomBytes(20);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, bytes(serial));
}

/** The SHA-1 of the subjectPublicKey bits (RFC 5280, method 1). */
function keyIdentifier(spkiDer: Buffer): string {
  const spki = parseDer(bytes(spkiDer), { decodeBitStrings: false });
  const bits = (spki.value as Asn1[])[1]?.value;
  if (typeof bits !== 'string') throw new Error('not a SubjectPublicKeyInfo');
  return createHash('sha1')
    .update(Buffer.from(bits.slice(1), 'binary'))
    .digest('binary');
}

function algorithm(): Asn1 {
  return sequence(oid(OID.sha256WithRSAEncryption), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''));
}

interface CertificateFields {
  issuer: Asn1;
  subject: Asn1;
  subjectSpkiDer: Buffer;
  authorityKeyId: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  signingKey: KeyObject;
}

function certificateDer(fields: CertificateFields): Buffer {
  const subjectKeyId = keyIdentifier(fields.subjectSpkiDer);
  const keyUsageBits = fields.isCa ? '\x01\x06' : '\x07\x80'; // keyCertSign+cRLSign : digitalSignature
  const extensions = [
    extension(
      OID.basicConstraints,
      true,
      fields.isCa ? sequence(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, '\xff')) : sequence(),
    ),
    extension(OID.keyUsage, true, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, keyUsageBits)),
    extension(OID.subjectKeyIdentifier, false, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, subjectKeyId)),
    extension(OID.authorityKeyIdentifier, false, sequence(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, fields.authorityKeyId))),
  ];
  const tbs = sequence(
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x02')]),
    serialNumber(),
    algorithm(),
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    parseDer(bytes(fields.subjectSpkiDer), { decodeBitStrings: false }),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [sequence(...extensions)]),
  );
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, fields.signingKey);
  return Buffer.from(asn1.toDer(sequence(tbs, algorithm(), bitString(bytes(signature)))).getBytes(), 'binary');
}

function pemOf(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** The common name in a distinguished name as node:crypto prints it ("C=US\nCN=..."). */
export function commonNameOf(distinguishedName: string): string | undefined {
  return distinguishedName
    .split('\n')
    .find((part) => part.startsWith('CN='))
    ?.slice('CN='.length);
}

/** AWS IoT's certificate ID: the lowercase hex SHA-256 of the certificate's DER. */
export function certificateIdOf(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex');
}

function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export class LocalCertificateAuthority {
  private readonly signingKey: KeyObject;
  private readonly issuerName: Asn1;
  private readonly keyId: string;

  private constructor(readonly material: CertificateAuthorityMaterial) {
    this.signingKey = createPrivateKey(material.privateKeyPem);
    const spkiDer = createPublicKey(this.signingKey).export({ type: 'spki', format: 'der' });
    this.keyId = keyIdentifier(spkiDer);
    // The issuer of what this CA signs is its own subject, byte for byte.
    const tbs = (parseDer(bytes(new X509Certificate(material.certificatePem).raw), { decodeBitStrings: false }).value as Asn1[])[0];
    const subject = (tbs?.value as Asn1[] | undefined)?.[5];
    if (!subject) throw new Error('CA certificate without a subject');
    this.issuerName = subject;
  }

  private static caName(commonName: string): Asn1 {
    return name([
      [OID.countryName, 'US'],
      [OID.organizationName, 'certflow sandbox'],
      [OID.commonName, commonName],
    ]);
  }

  static fromMaterial(material: CertificateAuthorityMaterial): LocalCertificateAuthority {
    return new LocalCertificateAuthority(material);
  }

  /**
   * A new self-signed RSA 2048 CA; the key is generated off the event loop. The
   * default name is the endpoint's stand-in for Amazon's CA; another name makes a
   * customer CA to register with RegisterCACertificate.
   */
  static async create(now: Date, commonName: string = LOCAL_CA_NAME): Promise<LocalCertificateAuthority> {
    const privateKeyPem = await new Promise<string>((resolve, reject) =>
      generateKeyPair(
        'rsa',
        { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } },
        (error, _publicKey, privateKey) => (error ? reject(error) : resolve(privateKey)),
      ),
    );
    const signingKey = createPrivateKey(privateKeyPem);
    const spkiDer = createPublicKey(signingKey).export({ type: 'spki', format: 'der' });
    const der = certificateDer({
      issuer: LocalCertificateAuthority.caName(commonName),
      subject: LocalCertificateAuthority.caName(commonName),
      subjectSpkiDer: spkiDer,
      authorityKeyId: keyIdentifier(spkiDer),
      notBefore: wholeSeconds(now),
      notAfter: DEVICE_CERTIFICATE_NOT_AFTER,
      isCa: true,
      signingKey,
    });
    return new LocalCertificateAuthority({ certificatePem: pemOf(der), privateKeyPem });
  }

  /** Signs a device certificate for a public key given as SPKI PEM; a verification certificate has the registration code as its common name. */
  issue(subjectPublicKeyPem: string, now: Date, commonName: string = DEVICE_CERTIFICATE_SUBJECT): IssuedCertificate {
    const notBefore = wholeSeconds(now);
    const der = certificateDer({
      issuer: this.issuerName,
      subject: name([[OID.commonName, commonName]]),
      subjectSpkiDer: createPublicKey(subjectPublicKeyPem).export({ type: 'spki', format: 'der' }),
      authorityKeyId: this.keyId,
      notBefore,
      notAfter: DEVICE_CERTIFICATE_NOT_AFTER,
      isCa: false,
      signingKey: this.signingKey,
    });
    return {
      certificatePem: pemOf(der),
      certificateId: createHash('sha256').update(der).digest('hex'),
      notBefore,
      notAfter: DEVICE_CERTIFICATE_NOT_AFTER,
    };
  }
}
