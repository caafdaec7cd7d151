import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './paths.js';

/**
 * The README and every page under docs/ say only what is true of the repository: the npm
 * commands they name exist, the environment variables they name are read somewhere, and their
 * relative links lead to files (and headings) that exist. New pages are picked up by the glob.
 */

/** npm's own commands that a page may name besides the project's scripts. */
const NPM_COMMANDS = new Set([
  'ci',
  'install',
  'i',
  'uninstall',
  'update',
  'ls',
  'exec',
  'explain',
  'install-scripts',
  'config',
  'pack',
  'view',
]);
/** npm commands that run the script of the same name. */
const SCRIPT_SHORTHANDS = new Set(['start', 'test', 'stop', 'restart']);
/** Variables the docs name that are read by Node or the C library, not by Wikipulse's code. */
const EXTERNAL_VARIABLES = new Set(['NODE_OPTIONS', 'PATH']);

export interface Markdown {
  /** Inline code spans, without their backticks. */
  inlineCode: string[];
  /** The text of fenced code blocks. */
  blocks: string[];
  /** Link and image targets outside code. */
  links: string[];
  /** Anchors of the page's headings, as GitHub makes them. */
  anchors: Set<string>;
}

export function parseMarkdown(text: string): Markdown {
  const inlineCode: string[] = [];
  const blocks: string[] = [];
  const links: string[] = [];
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string[] | undefined;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      if (fence === undefined) fence = [];
      else {
        blocks.push(fence.join('\n'));
        fence = undefined;
      }
      continue;
    }
    if (fence !== undefined) {
      fence.push(line);
      continue;
    }
    const prose = line.replace(/`([^`]+)`/g, (_, code: string) => {
      inlineCode.push(code);
      return '';
    });
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push(m[1]!);
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      const slug = slugify(heading[1]!);
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
  }
  return { inlineCode, blocks, links, anchors };
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function slugify(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** `npm run x` / `npm x` in code, as [command, script or undefined]. */
export function npmCommands(code: string): { command: string; script: string | undefined }[] {
  const found: { command: string; script: string | undefined }[] = [];
  const options = String.raw`(?:--?[\w-]+(?:=\S+)?\s+)*`;
  const pattern = new RegExp(
    String.raw`(?:^|[\s;&|(])npm\s+${options}(run(?:-script)?\s+${options})?([a-z][\w:.-]*)`,
    'g',
  );
  // A shell comment is prose: "installed from the npm registry" names no command.
  for (const m of code.replace(/(^|\s)#.*$/gm, '$1').matchAll(pattern)) {
    const name = m[2]!;
    if (m[1] !== undefined) found.push({ command: `npm run ${name}`, script: name });
    else if (SCRIPT_SHORTHANDS.has(name)) found.push({ command: `npm ${name}`, script: name });
    else found.push({ command: `npm ${name}`, script: undefined });
  }
  return found;
}

/** Environment variable names: a whole code span `NAME` or `NAME=value`, or `NAME=` in a block. */
export function variableNames(markdown: Markdown): string[] {
  const names: string[] = [];
  for (const code of markdown.inlineCode) {
    const m = /^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(=\S*)?$/.exec(code.trim());
    if (m) names.push(m[1]!);
  }
  for (const block of markdown.blocks) {
    for (const m of block.matchAll(/(?:^|[\s;&|(])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=/gm)) {
      names.push(m[1]!);
    }
  }
  return names;
}

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) {
      continue;
    }
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

const pages = [
  join(repoRoot, 'README.md'),
  ...filesUnder(join(repoRoot, 'docs'), (p) => p.endsWith('.md')),
];
const parsed = new Map(pages.map((page) => [page, parseMarkdown(readFileSync(page, 'utf8'))]));
const show = (page: string) => relative(repoRoot, page);

describe('the docs parser', () => {
  it('finds commands, variables, links and anchors, and nothing inside code as a link', () => {
    const md = parseMarkdown(
      [
        '## Sink and schema (Kafka → ClickHouse)',
        'Run `npm run bench:sink` with `BATCH_MAX_ROWS` and `REPLAY_LOOP=false`; see',
        '[the sink](sink.md#batching) and ![a picture](images/x.png), not `[x](nowhere.md)`.',
        '```sh',
        'KAFKA_BROKERS=127.0.0.1:19092 npm start   # [y](not-a-link.md)',
        '```',
        '## Sink and schema (Kafka → ClickHouse)',
      ].join('\n'),
    );
    expect(md.links).toEqual(['sink.md#batching', 'images/x.png']);
    expect([...md.anchors]).toEqual([
      'sink-and-schema-kafka--clickhouse',
      'sink-and-schema-kafka--clickhouse-1',
    ]);
    expect(variableNames(md)).toEqual(['BATCH_MAX_ROWS', 'REPLAY_LOOP', 'KAFKA_BROKERS']);
    expect([...md.inlineCode, ...md.blocks].flatMap(npmCommands)).toEqual([
      { command: 'npm run bench:sink', script: 'bench:sink' },
      { command: 'npm start', script: 'start' },
    ]);
    expect(npmCommands('npm ci && npm run --silent x  # from the npm registry')).toEqual([
      { command: 'npm ci', script: undefined },
      { command: 'npm run x', script: 'x' },
    ]);
  });
});

describe('README.md and docs/', () => {
  it('name only npm scripts that package.json has, and npm commands that exist', () => {
    const scripts = (
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const wrong: string[] = [];
    for (const [page, md] of parsed) {
      for (const { command, script } of [...md.inlineCode, ...md.blocks].flatMap(npmCommands)) {
        const known =
          script !== undefined ? script in scripts : NPM_COMMANDS.has(command.split(' ')[1]!);
        if (!known) wrong.push(`${show(page)}: ${command}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('name only environment variables that Wikipulse reads or sets', () => {
    const sources = [
      ...['apps', 'packages', 'grafana'].flatMap((top) =>
        filesUnder(join(repoRoot, top), (p) => p.endsWith('.ts') && !p.endsWith('.test.ts')),
      ),
      ...filesUnder(join(repoRoot, 'charts'), () => true),
      ...filesUnder(join(repoRoot, 'k8s'), () => true),
      ...filesUnder(join(repoRoot, 'tools'), (p) => /\.(sh|ts|js|py)$/.test(p)),
      ...['Dockerfile', 'Tiltfile', 'package.json', '.ci/run'].map((f) => join(repoRoot, f)),
    ].filter((p) => existsSync(p) && statSync(p).isFile());
    const text = sources.map((p) => readFileSync(p, 'utf8')).join('\n');
    const unknown = new Set<string>();
    for (const [page, md] of parsed) {
      for (const name of variableNames(md)) {
        if (EXTERNAL_VARIABLES.has(name)) continue;
        if (!new RegExp(`\\b${name}\\b`).test(text)) unknown.add(`${show(page)}: ${name}`);
      }
    }
    expect([...unknown]).toEqual([]);
  });

  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const [page, md] of parsed) {
      for (const link of md.links) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
        const [path = '', anchor] = link.split('#', 2);
        const target = path === '' ? page : resolve(dirname(page), decodeURI(path));
        if (!existsSync(target)) {
          broken.push(`${show(page)}: ${link} (no such file)`);
          continue;
        }
        if (anchor === undefined || !target.endsWith('.md')) continue;
        const anchors =
          parsed.get(target)?.anchors ?? parseMarkdown(readFileSync(target, 'utf8')).anchors;
        if (!anchors.has(anchor)) broken.push(`${show(page)}: ${link} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
