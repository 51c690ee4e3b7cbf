import { generateKeyPair, generateKeyPairSync } from 'node:crypto';

/**
 * Key pairs for CreateKeysAndCertificate, PEM-encoded as AWS returns them (SPKI public
 * key, PKCS#1 or SEC1 private key). RSA 2048, as AWS issues, takes ~100-200 ms of CPU per
 * pair, so pairs are generated on libuv's thread pool, a few ahead of demand, and the
 * event loop keeps answering meanwhile. EC P-256 takes well under a millisecond, for
 * benchmarks that create thousands of certificates.
 */
export type DeviceKeyAlgorithm = 'RSA-2048' | 'EC-P256';

export interface DeviceKeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

const RSA_KEYS_AHEAD = 4;

function generateRsaKeyPair(): Promise<DeviceKeyPair> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      'rsa',
      { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } },
      (error, publicKeyPem, privateKeyPem) => (error ? reject(error) : resolve({ publicKeyPem, privateKeyPem })),
    ),
  );
}

function generateEcKeyPair(): DeviceKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

export class DeviceKeyPairs {
  /** Pairs being generated or ready; each is handed out once. */
  private readonly ahead: Array<Promise<DeviceKeyPair>> = [];
  private closed = false;

  constructor(readonly algorithm: DeviceKeyAlgorithm = 'RSA-2048') {}

  /** A fresh key pair; generation starts on first use, not at construction. */
  next(): Promise<DeviceKeyPair> {
    if (this.algorithm === 'EC-P256') return Promise.resolve(generateEcKeyPair());
    this.refill();
    const pair = this.ahead.shift() ?? generateRsaKeyPair();
    this.refill();
    return pair;
  }

  /** Stops generating ahead; pairs already being generated finish on the thread pool and are dropped. */
  close(): void {
    this.closed = true;
    for (const pending of this.ahead.splice(0)) pending.catch(() => undefined);
  }

  private refill(): void {
    while (!this.closed && this.ahead.length < RSA_KEYS_AHEAD) {
      const pending = generateRsaKeyPair();
      pending.catch(() => undefined);
      this.ahead.push(pending);
    }
  }
}
