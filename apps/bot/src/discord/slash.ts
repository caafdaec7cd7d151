/**
 * A slash command's options → the same text as its prefix twin, so both forms run one
 * implementation: `/recent lang:de limit:5` → `!recent de 5`, `/setlang code:fr scope:server`
 * → `!setlang server fr`. Options keep their definition order, except `scope`, which leads.
 */
export interface SlashOption {
  name: string;
  value: string | number | boolean;
}

export function slashToText(
  command: string,
  options: readonly SlashOption[],
  prefix: string,
): string {
  const ordered = [
    ...options.filter((o) => o.name === 'scope'),
    ...options.filter((o) => o.name !== 'scope'),
  ];
  const values = ordered.map((o) => String(o.value).trim()).filter((v) => v !== '');
  return [`${prefix}${command}`, ...values].join(' ');
}
