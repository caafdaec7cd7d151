import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';

/** A file a variable names, read at start-up. */
export interface FileText {
  readonly path: string;
  readonly text: string;
}

/** Certificates, keys and passwords are a few kB; anything larger is the wrong file. */
const MAX_BYTES = 1024 * 1024;

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

type Judged = { text: string } | { problem: string };

/** Reads a small regular file, or says in a few words why it cannot. */
function readSmallFile(path: string): Judged {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return { problem: 'is a directory, not a file' };
    if (!stat.isFile()) return { problem: 'is not a regular file' };
    if (stat.size > MAX_BYTES) return { problem: `is larger than ${MAX_BYTES} bytes` };
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { problem: 'no such file' };
    if (code === 'EACCES' || code === 'EPERM')
      return { problem: 'not readable (permission denied)' };
    return { problem: `cannot be read (${code ?? 'unknown error'})` };
  }
}

/** The PEM certificates in a text, each checked to parse; a problem line when there is none. */
function certificatesIn(text: string): { problem: string } | undefined {
  const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0)
    return { problem: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)' };
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return {
        problem: `certificate ${i + 1} of ${blocks.length} is not a valid X.509 certificate`,
      };
    }
  }
  return undefined;
}

/** The PEM private key in a text; a problem line when there is none or it needs a passphrase. */
function privateKeyIn(text: string): KeyObject | { problem: string } {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
    return {
      problem: 'holds an encrypted private key; give it unencrypted (keep the file secret)',
    };
  }
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch {
    return { problem: 'holds no PEM private key (-----BEGIN PRIVATE KEY-----)' };
  }
}

/** Whether a key (checked by `fileVar.privateKey`) belongs to a text's first certificate. */
export function keyMatchesCertificate(certificates: string, key: string): boolean {
  const first = certificates.match(CERTIFICATE_BLOCK)?.[0];
  const privateKey = privateKeyIn(key);
  if (first === undefined || 'problem' in privateKey) return false;
  return new X509Certificate(first).checkPrivateKey(privateKey);
}

/**
 * A variable naming a file, read while the environment is parsed so a missing or wrong file is
 * reported together with every other bad variable. `judge` checks the text (and may trim it);
 * its problem never quotes the text, which may be a key or a password.
 */
function fileVariable(judge: (text: string) => Judged) {
  return z.string().transform((path, ctx): FileText => {
    const read = readSmallFile(path);
    const judged = 'problem' in read ? read : judge(read.text);
    if ('problem' in judged) {
      ctx.issues.push({ code: 'custom', message: judged.problem, input: path });
      return z.NEVER;
    }
    return { path, text: judged.text };
  });
}

const nonEmpty = (text: string): Judged =>
  text.trim() === '' ? { problem: 'is empty' } : { text };

export const fileVar = {
  /** One or more PEM certificates: a CA bundle, or a certificate and its chain. */
  certificates: () => fileVariable((text) => certificatesIn(text) ?? { text }),
  /** A PEM private key, unencrypted. */
  privateKey: () =>
    fileVariable((text) => {
      const key = privateKeyIn(text);
      return 'problem' in key ? key : { text };
    }),
  /**
   * A password: the file's text without its trailing line break (`echo` and most editors add
   * one; a Kubernetes Secret keeps whatever was put in it).
   */
  secret: () => fileVariable((text) => nonEmpty(text.replace(/[\r\n]+$/, ''))),
  /** A file read again later (a token that is rotated): checked at start-up, passed by path. */
  readable: () => fileVariable(nonEmpty).transform((file) => file.path),
} as const;
