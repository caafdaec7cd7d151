import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { kafkaSecureConnection, type KafkaSecureInfo } from './kafka-secure.js';
import { kafkaSecure, kafkaSecureMissing } from './vitest.js';

/** Completes a TLS handshake with the listener and hangs up; rejects when verification fails. */
function handshake(info: KafkaSecureInfo, options: ConnectionOptions): Promise<PeerCertificate> {
  const [host, port] = info.brokers[0]!.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port), ...options }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve(peer);
    });
    socket.once('error', reject);
  });
}

describe("the test broker's SASL_SSL listener", () => {
  it('proves 127.0.0.1 and localhost with a certificate of the test CA', async ({ skip }) => {
    const info = kafkaSecure() ?? skip(kafkaSecureMissing());
    const { tls } = await kafkaSecureConnection(info, 'scram512');
    const byAddress = await handshake(info, { ca: tls?.ca });
    expect(byAddress.subject.CN).toBe('localhost');
    const byName = await handshake(info, { ca: tls?.ca, servername: 'localhost' });
    expect(byName.fingerprint256).toBe(byAddress.fingerprint256);
  });

  it('is refused by a client that trusts only the other CA', async ({ skip }) => {
    const info = kafkaSecure() ?? skip(kafkaSecureMissing());
    const ca = await readFile(info.otherCaFile, 'utf8');
    await expect(handshake(info, { ca })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  it('takes the client certificate, which the test CA signed for client authentication', async ({
    skip,
  }) => {
    const info = kafkaSecure() ?? skip(kafkaSecureMissing());
    const [ca, otherCa, cert, key] = await Promise.all(
      [info.caFile, info.otherCaFile, info.clientCertFile, info.clientKeyFile].map((f) =>
        readFile(f, 'utf8'),
      ),
    );
    const client = new X509Certificate(cert!);
    expect(client.verify(new X509Certificate(ca!).publicKey)).toBe(true);
    expect(client.verify(new X509Certificate(otherCa!).publicKey)).toBe(false);
    expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // TLS client authentication
    expect(client.checkPrivateKey(createPrivateKey(key!))).toBe(true);
    // In TLS 1.2 the server judges a client certificate before it finishes the handshake (in
    // 1.3 a refusal only arrives afterwards), so a completed handshake means it took this one.
    const peer = await handshake(info, { ca: ca!, cert: cert!, key: key!, maxVersion: 'TLSv1.2' });
    expect(peer.subject.CN).toBe('localhost');
  });
});
