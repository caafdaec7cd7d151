import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ROLE_NAMES, createRoleStatements, roleGrants, usersXml } from './roles.js';

describe('roleGrants', () => {
  it('scopes every grant but the operator’s to the one database', () => {
    for (const role of ROLE_NAMES) {
      for (const grant of roleGrants(role, 'wikipulse')) {
        expect(grant).toMatch(role === 'operator' ? / ON \*\.\*$/ : / ON wikipulse\.(\*|[a-z_]+)$/);
      }
    }
  });

  it('refuses a database name that is not an identifier', () => {
    expect(() => roleGrants('bot', 'wikipulse; DROP DATABASE x')).toThrow(/identifier/);
  });
});

describe('createRoleStatements', () => {
  it('carries the password’s SHA-256 only, never the password', () => {
    const password = 'correct horse battery staple';
    const statements = createRoleStatements(
      { role: 'grafana', name: 'wikipulse_grafana', password },
      'wikipulse',
    );
    const hash = createHash('sha256').update(password).digest('hex');
    expect(statements.join('\n')).not.toContain(password);
    expect(statements).toContain(
      `CREATE USER IF NOT EXISTS wikipulse_grafana IDENTIFIED WITH sha256_hash BY '${hash}'`,
    );
    expect(statements).toContain('GRANT SELECT ON wikipulse.* TO wikipulse_grafana_role');
    expect(statements.at(-1)).toBe('SET DEFAULT ROLE wikipulse_grafana_role TO wikipulse_grafana');
  });

  it('refuses a user name that is not an identifier', () => {
    expect(() =>
      createRoleStatements({ role: 'bot', name: "x' OR 1", password: 'p' }, 'wikipulse'),
    ).toThrow(/identifier/);
  });
});

describe('usersXml', () => {
  it('names each password’s variable and holds no secret', () => {
    const xml = usersXml(
      [{ role: 'sink', name: 'wikipulse_sink', password: { fromEnv: 'SINK_PASSWORD' } }],
      'wikipulse',
    );
    expect(xml).toContain('<password from_env="SINK_PASSWORD"/>');
    expect(xml).toContain('<query>GRANT SELECT, INSERT ON wikipulse.changes</query>');
  });
});
