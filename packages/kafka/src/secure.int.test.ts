import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  kafkaSecure,
  kafkaSecureConnection,
  kafkaSecureMissing,
  uniqueName,
} from '@wikipulse/testing/vitest';
import { KafkaBus } from './kafka-bus.js';
import { describeBusContract } from './testing/contract.js';
import type { KafkaConnection } from './types.js';

const info = kafkaSecure();
const secure = describe.skipIf(info === undefined);
if (info === undefined) console.warn(`[secure Kafka tests skipped] ${kafkaSecureMissing()}`);

const connection = info ? await kafkaSecureConnection(info, 'scram512') : undefined;
const busFor = (c: KafkaConnection, clientId = 'wikipulse-secure-test') =>
  new KafkaBus({ ...c, clientId });

secure('Kafka over TLS with SASL', () => {
  // The whole contract, through SCRAM-SHA-512 over TLS with the test's own CA.
  describeBusContract('SASL_SSL with SCRAM-SHA-512', () => busFor(connection!));

  it.each(['scram256', 'plain'] as const)('connects, writes and reads with %s', async (user) => {
    const bus = busFor(await kafkaSecureConnection(info!, user));
    const topic = uniqueName(`secure-${user}`);
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send(topic, [{ key: 'k', value: user }]);
    await producer.close();
    expect(await bus.endOffsets(topic)).toEqual(new Map([[0, '1']]));
    await bus.deleteTopics([topic]);
  });

  /** The one-line reason a bus with these settings gives, within the start-up deadline. */
  async function refusal(c: KafkaConnection): Promise<string> {
    const started = Date.now();
    const error = await busFor(c)
      .check(20_000)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error, 'the connection was accepted').toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(20_000);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).not.toContain(info!.users.scram512.password);
    return message;
  }

  it('refuses a wrong password with a line that says so', async () => {
    const message = await refusal({
      ...connection!,
      sasl: { ...connection!.sasl!, password: 'not-the-password' },
    });
    expect(message).toMatch(/refused the credentials/);
  });

  it('refuses a broker whose certificate the CA did not sign', async () => {
    const message = await refusal({
      ...connection!,
      tls: { ca: await readFile(info!.otherCaFile, 'utf8') },
    });
    expect(message).toMatch(/certificate is not trusted/);
  });

  it('refuses a mechanism the listener does not offer', async () => {
    const message = await refusal({
      ...connection!,
      sasl: { mechanism: 'oauthbearer', tokenFile: info!.caFile },
    });
    expect(message).toMatch(/SASL mechanism/);
  });

  it('says that TLS was expected when a client speaks plaintext to the TLS listener', async () => {
    const message = await refusal({ brokers: connection!.brokers, sasl: connection!.sasl! });
    expect(message).toMatch(/Kafka/);
  });
});
