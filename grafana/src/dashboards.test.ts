import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@wikipulse/testing';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { dashboards, promqlExpressions } from './index.js';

const boards = dashboards.map(({ file, build }) => ({ file, board: build() }));

describe('dashboards', () => {
  it('have distinct stable uids and distinct panel ids', () => {
    const uids = boards.map(({ board }) => board.uid);
    expect(uids).toEqual(['wikipulse-pipeline', 'wikipulse-bot', 'wikipulse-activity']);
    for (const { board } of boards) {
      const ids = (board.panels ?? []).map((p) => p.id);
      expect(new Set(ids).size, board.uid).toBe(ids.length);
      expect(ids.every((id) => typeof id === 'number')).toBe(true);
    }
  });

  it('take every datasource from a dashboard variable', () => {
    for (const { board } of boards) {
      const variables = new Set(board.templating.list?.map((v) => v.name));
      for (const panel of board.panels ?? []) {
        const refs = [
          panel.datasource,
          ...(('targets' in panel ? panel.targets : undefined) ?? []).map(
            (t) => (t as { datasource?: { uid?: string } }).datasource,
          ),
        ];
        for (const ref of refs) {
          const name = /^\$\{(\w+)\}$/.exec(ref?.uid ?? '')?.[1];
          expect(name, `${board.uid}: ${panel.title ?? ''}`).toBeDefined();
          expect(variables.has(name!)).toBe(true);
        }
      }
    }
  });

  it('substitute every Grafana variable out of the PromQL they check', () => {
    const expressions = promqlExpressions();
    expect(expressions.length).toBeGreaterThan(20);
    for (const { expr } of expressions) expect(expr).not.toContain('$');
  });

  it('match the committed JSON', () => {
    for (const { file, board } of boards) {
      const committed: unknown = JSON.parse(
        readFileSync(join(repoRoot, 'grafana/dashboards', file), 'utf8'),
      );
      expect(committed).toEqual(JSON.parse(JSON.stringify(board)));
    }
  });
});

describe('alert rules', () => {
  const rules = parse(
    readFileSync(join(repoRoot, 'grafana/alerts/wikipulse.rules.yaml'), 'utf8'),
  ) as {
    groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[];
  };
  const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
  const runbooks = readFileSync(join(repoRoot, 'docs/runbooks.md'), 'utf8');
  const anchors = new Set([...runbooks.matchAll(/^## (\S+)$/gm)].map((m) => m[1]));

  it('each carry a summary, a description and a runbook section that exists', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(9);
    for (const alert of alerts) {
      const { summary, description, runbook_url: url } = alert.annotations ?? {};
      expect(summary, alert.alert).toBeTruthy();
      expect(description, alert.alert).toBeTruthy();
      const anchor = /docs\/runbooks\.md#(.+)$/.exec(url ?? '')?.[1];
      expect(anchor && anchors.has(anchor), `${alert.alert}: ${url ?? ''}`).toBe(true);
      expect(runbooks, `${alert.alert} is named in its runbook`).toContain(alert.alert!);
    }
  });
});
