/**
 * Identifiers cannot be query parameters in DDL, so a database name is validated here and then
 * interpolated; no value from outside the configuration reaches DDL.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new Error(`not a valid ClickHouse identifier: ${JSON.stringify(name)}`);
  return name;
}
