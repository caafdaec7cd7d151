import { describe, expect, it } from 'vitest';
import { clientOptions, explainKafkaError, KafkaError } from './connection.js';

/** An error shaped as Node's socket and TLS errors are: a message and a code. */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('explainKafkaError', () => {
  it('names the cause a person can fix, however deep it is nested', () => {
    const wrapped = (inner: Error) =>
      new AggregateError(
        [new Error('first try'), new Error('outer', { cause: inner })],
        'failed 3 times',
      );
    expect(explainKafkaError(wrapped(new Error('SASL authentication failed.')))).toMatch(
      /refused the credentials/,
    );
    expect(explainKafkaError(wrapped(coded('self-signed', 'SELF_SIGNED_CERT_IN_CHAIN')))).toMatch(
      /not trusted \(SELF_SIGNED_CERT_IN_CHAIN\).*KAFKA_TLS_CA_FILE/,
    );
    expect(explainKafkaError(coded('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED'))).toMatch(
      /nothing listens at KAFKA_BROKERS/,
    );
    expect(explainKafkaError(new Error('Cannot find a suitable SASL mechanism.'))).toMatch(
      /SASL mechanism/,
    );
    const refusal = Object.assign(new Error('The request included a message larger than …'), {
      apiId: 'MESSAGE_TOO_LARGE',
    });
    expect(explainKafkaError(new Error('send failed', { cause: refusal }))).toBe(
      'Kafka answered MESSAGE_TOO_LARGE: The request included a message larger than …',
    );
  });

  it('is one line, and KafkaError carries it as its message', () => {
    const error = new KafkaError(new Error('line one\nline two'));
    expect(error.message).toBe('Kafka failed: line one line two');
    expect(error.explained).toBe(true);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('clientOptions', () => {
  it('turns TLS and SASL settings into the client options, never creating topics', () => {
    const options = clientOptions(
      {
        brokers: ['a:9096'],
        tls: { ca: 'CA PEM' },
        sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      },
      'wikipulse-test',
    );
    expect(options).toMatchObject({
      clientId: 'wikipulse-test',
      bootstrapBrokers: ['a:9096'],
      autocreateTopics: false,
      tls: { ca: 'CA PEM' },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
    });
    expect(clientOptions({ brokers: ['a:9092'] }, 'x')).not.toHaveProperty('tls');
  });
});
