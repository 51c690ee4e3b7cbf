import { IoTClient, ListCertificatesCommand, ListOutgoingCertificatesCommand } from '@aws-sdk/client-iot';
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';
import { paceIotRequests, pacingBurst, PACING_SHARE_OF_QUOTA } from '../../../lambdas/migration/iot-request-pacing';
import { RequestPacer } from '../../../lambdas/migration/request-pacer';

/**
 * aws-sdk-client-mock replaces `send`, so no middleware would run: these tests give a
 * real IoTClient a request handler that answers in memory, and the whole middleware
 * stack, the SDK's retries included, runs as it does against AWS IoT.
 */
function iotClientAnswering(statuses: number[], sent: string[]): IoTClient {
  let calls = 0;
  return new IoTClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIA111111111111TEST', secretAccessKey: 'x' },
    maxAttempts: 3,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        sent.push(`send ${request.path}`);
        const statusCode = statuses[calls] ?? 200;
        calls += 1;
        const failure = statusCode >= 400;
        return {
          response: new HttpResponse({
            statusCode,
            headers: { 'content-type': 'application/json', ...(failure ? { 'x-amzn-errortype': 'ServiceUnavailableException' } : {}) },
            body: Buffer.from(
              JSON.stringify(failure ? { message: 'Service unavailable' } : { certificates: [], outgoingCertificates: [] }),
            ),
          }),
        };
      },
    },
  });
}

/** A pacer that lets every request go at once and notes each token taken in the shared log. */
class RecordingPacer extends RequestPacer {
  constructor(
    rate: number,
    private readonly log: string[],
    private readonly label: string,
  ) {
    super(rate);
  }

  override async take(): Promise<void> {
    this.log.push(`take ${this.label}`);
  }
}

describe('paceIotRequests', () => {
  it('takes a pacer token before each request is sent', async () => {
    const log: string[] = [];
    const iot = iotClientAnswering([], log);
    paceIotRequests(iot, 50, {}, (rate) => new RecordingPacer(rate, log, 'ListCertificates'));
    await iot.send(new ListCertificatesCommand({}));
    await iot.send(new ListCertificatesCommand({}));
    expect(log).toEqual(['take ListCertificates', 'send /certificates', 'take ListCertificates', 'send /certificates']);
  });

  it('keeps one pacer per Action, each paced to a share of the quota', async () => {
    const log: string[] = [];
    const iot = iotClientAnswering([], []);
    const rates: number[] = [];
    paceIotRequests(iot, 50, {}, (rate) => {
      rates.push(rate);
      return new RecordingPacer(rate, log, `pacer ${rates.length}`);
    });
    await iot.send(new ListCertificatesCommand({}));
    await iot.send(new ListOutgoingCertificatesCommand({}));
    await iot.send(new ListCertificatesCommand({}));
    expect(rates).toEqual([50 * PACING_SHARE_OF_QUOTA, 50 * PACING_SHARE_OF_QUOTA]);
    expect(PACING_SHARE_OF_QUOTA).toBeLessThan(1);
    expect(log).toEqual(['take pacer 1', 'take pacer 2', 'take pacer 1']);
  });

  it("takes a token for every attempt, the SDK's retries of a 503 included", async () => {
    const log: string[] = [];
    const iot = iotClientAnswering([503, 503], log);
    const pacerFor = jest.fn((rate: number) => new RecordingPacer(rate, log, 'ListCertificates'));
    paceIotRequests(iot, 50, {}, pacerFor);
    const output = await iot.send(new ListCertificatesCommand({}));
    expect(output.$metadata.attempts).toBe(3);
    expect(pacerFor).toHaveBeenCalledTimes(1);
    expect(log).toEqual([
      'take ListCertificates',
      'send /certificates',
      'take ListCertificates',
      'send /certificates',
      'take ListCertificates',
      'send /certificates',
    ]);
  });

  it('holds a request until its pacer lets it go', async () => {
    const sent: string[] = [];
    const iot = iotClientAnswering([], sent);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    paceIotRequests(iot, 50, {}, (rate) => {
      const pacer = new RequestPacer(rate);
      jest.spyOn(pacer, 'take').mockReturnValue(gate);
      return pacer;
    });
    const request = iot.send(new ListCertificatesCommand({}));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent).toEqual([]);
    release();
    await request;
    expect(sent).toEqual(['send /certificates']);
  });

  it('spaces the requests of one Action at the paced rate once the default pacer has spent its banked burst', async () => {
    const iot = iotClientAnswering([], []);
    paceIotRequests(iot, 10);
    const started = Date.now();
    for (let request = 0; request < 4; request += 1) await iot.send(new ListCertificatesCommand({}));
    // At 9.8 requests a second the pacer banks 2: the 3rd and 4th requests wait about 102 ms each.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it("banks 0.9 s of a pacer's rate, at least 1 request and at most 2", () => {
    expect(pacingBurst(1.96)).toBeCloseTo(1.764);
    expect(pacingBurst(0.5)).toBe(1);
    expect(pacingBurst(9.8)).toBe(2);
  });

  it('does not pace one Action by the requests of another', async () => {
    const iot = iotClientAnswering([], []);
    paceIotRequests(iot, 1);
    const started = Date.now();
    await iot.send(new ListCertificatesCommand({}));
    await iot.send(new ListOutgoingCertificatesCommand({}));
    // At 0.98 requests a second, a shared pacer would hold the second request for about a second.
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('paces an Action named in quotaByAction (without "Command") at its own rate, the others at the default', async () => {
    const iot = iotClientAnswering([], []);
    const made: number[] = [];
    paceIotRequests(iot, 10, { ListOutgoingCertificates: 2, ListOutgoingCertificatesCommand: 99 }, (rate) => {
      made.push(rate);
      return new RecordingPacer(rate, [], String(rate));
    });
    await iot.send(new ListOutgoingCertificatesCommand({}));
    await iot.send(new ListCertificatesCommand({}));
    await iot.send(new ListOutgoingCertificatesCommand({}));
    expect(made).toEqual([2 * PACING_SHARE_OF_QUOTA, 10 * PACING_SHARE_OF_QUOTA]);
  });

  it('holds the requests of an Action with a lower quota to that quota with the default pacer', async () => {
    const iot = iotClientAnswering([], []);
    paceIotRequests(iot, 100, { ListCertificates: 5 });
    let started = Date.now();
    for (let request = 0; request < 3; request += 1) await iot.send(new ListOutgoingCertificatesCommand({}));
    // At 98 a second, three requests take about 20 ms.
    expect(Date.now() - started).toBeLessThan(350);
    started = Date.now();
    for (let request = 0; request < 4; request += 1) await iot.send(new ListCertificatesCommand({}));
    // At 4.9 a second the pacer banks 2: the 3rd and 4th requests wait about 204 ms each.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});
