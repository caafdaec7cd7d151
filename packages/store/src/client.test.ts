import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickHouse } from './client.js';

/**
 * No ClickHouse server runs on these machines (the embedded engine cannot listen), so an HTTPS
 * endpoint on loopback stands in for its HTTP interface: it answers `/ping` as ClickHouse does
 * and records what the real client sent through a real TLS handshake.
 */
interface Seen {
  user: string | undefined;
  key: string | undefined;
  certificateAuth: string | undefined;
  authorization: string | undefined;
  clientCertificate: string | undefined;
}

let dir: string;
let pem: { ca: string; cert: string; key: string };
let server: Server;
let url: string;
const seen: Seen[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wikipulse-store-tls-'));
  const file = (name: string) => join(dir, name);
  // `@name` stands for a file in the test folder.
  const openssl = (args: string) =>
    execFileSync(
      'openssl',
      args.split(' ').map((arg) => (arg.startsWith('@') ? file(arg.slice(1)) : arg)),
      { stdio: 'pipe' },
    );
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  openssl(`req -x509 ${ec} -keyout @ca.key -out @ca.pem -days 1 -subj /CN=test-ca`);
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, extra] of [
    ['server', ' -extfile @server.ext'],
    ['client', ''],
  ]) {
    openssl(`req ${ec} -keyout @${name}.key -out @${name}.csr -subj /CN=wikipulse-${name}`);
    openssl(
      `x509 -req -in @${name}.csr -CA @ca.pem -CAkey @ca.key -out @${name}.pem -days 1${extra}`,
    );
  }
  const read = (name: string) => readFileSync(file(name), 'utf8');
  pem = { ca: read('ca.pem'), cert: read('client.pem'), key: read('client.key') };

  server = createServer(
    {
      key: read('server.key'),
      cert: read('server.pem'),
      ca: pem.ca,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const socket = req.socket;
      const header = (name: string) => req.headers[name]?.toString();
      seen.push({
        user: header('x-clickhouse-user'),
        key: header('x-clickhouse-key'),
        certificateAuth: header('x-clickhouse-ssl-certificate-auth'),
        authorization: header('authorization'),
        clientCertificate:
          socket instanceof TLSSocket && socket.authorized
            ? socket.getPeerCertificate().subject.CN?.toString()
            : undefined,
      });
      res.end('Ok.\n');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('openClickHouse over TLS', () => {
  it('trusts the given CA and authenticates with the user and password', async () => {
    const client = openClickHouse({
      kind: 'server',
      url,
      username: 'wikipulse',
      password: 'pw',
      tls: { ca: pem.ca },
    });
    try {
      expect(await client.ping()).toEqual({ success: true });
    } finally {
      await client.close();
    }
    expect(seen.at(-1)).toEqual({
      user: 'wikipulse',
      key: 'pw',
      certificateAuth: undefined,
      authorization: undefined,
      clientCertificate: undefined,
    });
  });

  it('presents the client certificate and asks ClickHouse to authenticate by it', async () => {
    const client = openClickHouse({ kind: 'server', url, username: 'wikipulse', tls: pem });
    try {
      expect(await client.ping()).toEqual({ success: true });
    } finally {
      await client.close();
    }
    expect(seen.at(-1)).toMatchObject({
      user: 'wikipulse',
      certificateAuth: 'on',
      clientCertificate: 'wikipulse-client',
    });
  });

  it('refuses a server its CAs do not vouch for', async () => {
    const before = seen.length;
    const client = openClickHouse({ kind: 'server', url, username: 'wikipulse', password: 'pw' });
    try {
      const result = await client.ping();
      expect(result.success).toBe(false);
      expect(String((result as { error: Error }).error)).toMatch(/certificate/i);
    } finally {
      await client.close();
    }
    expect(seen.length).toBe(before);
  });

  it('refuses a client certificate without its key', () => {
    expect(() =>
      openClickHouse({ kind: 'server', url, tls: { ca: pem.ca, cert: pem.cert } }),
    ).toThrow(/certificate and its key go together/);
  });
});
