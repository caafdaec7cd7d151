import { z } from 'zod';
import { fileVar, keyMatchesCertificate } from './files.js';
import { rule, type Problem } from './rules.js';
import { envVar } from './vars.js';

/**
 * A ClickHouse server as `openClickHouse` of `@wikipulse/store` takes it (`ClickHouseTarget`).
 * `tls.ca` replaces the system's trusted certificates; `cert` and `key` authenticate the client.
 */
export interface ClickHouseServerSettings {
  kind: 'server';
  url: string;
  username?: string;
  password?: string;
  tls?: { ca: string; cert?: string; key?: string };
}

export type ClickHouseTargetSettings =
  ClickHouseServerSettings | { kind: 'embedded'; path: string };

/** A ClickHouse HTTP interface; for an app that needs a server, as its `CLICKHOUSE_URL`. */
export const clickHouseUrl = z.url({
  protocol: /^https?$/,
  error: 'must be an http:// or https:// URL',
});

/** ClickHouse's variables, spread into an app's schema, which then applies `clickHouseEnvRules`. */
export const clickHouseEnv = {
  /** Unset: the embedded engine. */
  CLICKHOUSE_URL: envVar.optional(clickHouseUrl),
  CLICKHOUSE_USER: envVar.optional(z.string()),
  CLICKHOUSE_PASSWORD: envVar.optional(z.string()),
  CLICKHOUSE_PASSWORD_FILE: envVar.optional(fileVar.secret()),
  CLICKHOUSE_TLS_CA_FILE: envVar.optional(fileVar.certificates()),
  CLICKHOUSE_TLS_CERT_FILE: envVar.optional(fileVar.certificates()),
  CLICKHOUSE_TLS_KEY_FILE: envVar.optional(fileVar.privateKey()),
};

export type ClickHouseEnv = z.output<z.ZodObject<typeof clickHouseEnv>>;

const EMBEDDED = 'only with CLICKHOUSE_URL (the embedded engine has no users and no TLS)';

function checkCredentials(env: ClickHouseEnv, problem: Problem<ClickHouseEnv>): void {
  const password = env.CLICKHOUSE_PASSWORD !== undefined;
  const passwordFile = env.CLICKHOUSE_PASSWORD_FILE !== undefined;
  if (env.CLICKHOUSE_URL === undefined) {
    if (env.CLICKHOUSE_USER !== undefined) problem('CLICKHOUSE_USER', EMBEDDED);
    if (password) problem('CLICKHOUSE_PASSWORD', EMBEDDED);
    if (passwordFile) problem('CLICKHOUSE_PASSWORD_FILE', EMBEDDED);
    return;
  }
  const url = new URL(env.CLICKHOUSE_URL);
  if (url.username !== '' || url.password !== '') {
    problem(
      'CLICKHOUSE_URL',
      'carries credentials: give them as CLICKHOUSE_USER and CLICKHOUSE_PASSWORD (or CLICKHOUSE_PASSWORD_FILE)',
    );
  }
  if (password && passwordFile) {
    problem(
      'CLICKHOUSE_PASSWORD',
      'set only one of CLICKHOUSE_PASSWORD and CLICKHOUSE_PASSWORD_FILE',
    );
  }
}

function checkTls(env: ClickHouseEnv, problem: Problem<ClickHouseEnv>): void {
  const files = [
    'CLICKHOUSE_TLS_CA_FILE',
    'CLICKHOUSE_TLS_CERT_FILE',
    'CLICKHOUSE_TLS_KEY_FILE',
  ] as const;
  const set = files.filter((name) => env[name] !== undefined);
  if (env.CLICKHOUSE_URL === undefined) {
    for (const name of set) problem(name, EMBEDDED);
    return;
  }
  if (new URL(env.CLICKHOUSE_URL).protocol !== 'https:') {
    for (const name of set) problem(name, 'needs an https:// CLICKHOUSE_URL');
    return;
  }
  const cert = env.CLICKHOUSE_TLS_CERT_FILE;
  const key = env.CLICKHOUSE_TLS_KEY_FILE;
  if (cert !== undefined && key === undefined) {
    problem(
      'CLICKHOUSE_TLS_CERT_FILE',
      'needs CLICKHOUSE_TLS_KEY_FILE (a client certificate takes its key)',
    );
  }
  if (key !== undefined && cert === undefined) {
    problem(
      'CLICKHOUSE_TLS_KEY_FILE',
      'needs CLICKHOUSE_TLS_CERT_FILE (a client certificate takes its key)',
    );
  }
  if (cert !== undefined && key !== undefined && !keyMatchesCertificate(cert.text, key.text)) {
    problem('CLICKHOUSE_TLS_KEY_FILE', `is not the key of the certificate in ${cert.path}`);
  }
  if (cert !== undefined && env.CLICKHOUSE_TLS_CA_FILE === undefined) {
    // @clickhouse/client takes a client certificate only together with the CAs it trusts.
    problem(
      'CLICKHOUSE_TLS_CERT_FILE',
      'needs CLICKHOUSE_TLS_CA_FILE too (for a public CA, the system bundle: /etc/ssl/certs/ca-certificates.crt)',
    );
  }
}

/**
 * The rules between ClickHouse's variables, for `.check(...clickHouseEnvRules)` on an app's
 * schema: credentials and TLS separately, so a bad certificate file hides no other problem.
 */
export const clickHouseEnvRules = [
  rule<ClickHouseEnv>(
    ['CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_PASSWORD_FILE'],
    checkCredentials,
  ),
  rule<ClickHouseEnv>(
    [
      'CLICKHOUSE_URL',
      'CLICKHOUSE_TLS_CA_FILE',
      'CLICKHOUSE_TLS_CERT_FILE',
      'CLICKHOUSE_TLS_KEY_FILE',
    ],
    checkTls,
  ),
] as const;

/** The server the parsed variables name; undefined without `CLICKHOUSE_URL`. */
export function clickHouseServer(
  env: ClickHouseEnv & { CLICKHOUSE_URL: string },
): ClickHouseServerSettings;
export function clickHouseServer(env: ClickHouseEnv): ClickHouseServerSettings | undefined;
export function clickHouseServer(env: ClickHouseEnv): ClickHouseServerSettings | undefined {
  if (env.CLICKHOUSE_URL === undefined) return undefined;
  const password = env.CLICKHOUSE_PASSWORD ?? env.CLICKHOUSE_PASSWORD_FILE?.text;
  const ca = env.CLICKHOUSE_TLS_CA_FILE;
  const cert = env.CLICKHOUSE_TLS_CERT_FILE;
  const key = env.CLICKHOUSE_TLS_KEY_FILE;
  return {
    kind: 'server',
    url: env.CLICKHOUSE_URL,
    ...(env.CLICKHOUSE_USER !== undefined ? { username: env.CLICKHOUSE_USER } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(ca !== undefined
      ? {
          tls: {
            ca: ca.text,
            ...(cert !== undefined && key !== undefined ? { cert: cert.text, key: key.text } : {}),
          },
        }
      : {}),
  };
}

/** Where the parsed variables put ClickHouse: their server, else the embedded engine at a path. */
export function clickHouseTarget(
  env: ClickHouseEnv,
  embeddedPath: string,
): ClickHouseTargetSettings {
  return clickHouseServer(env) ?? { kind: 'embedded', path: embeddedPath };
}
