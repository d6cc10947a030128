import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, sspr } from '../../support/run-sspr.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-cli-policy-'));
const store = ['--data-dir', dataDir];
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('sspr policy and role commands', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    expect((await sspr(['migrate', ...store])).code).toBe(0);
    const created = await sspr([
      'user',
      'create',
      '--user-principal-name',
      'helen@example.com',
      '--display-name',
      'Helen',
      ...store,
    ]);
    expect(created.code, created.stderr).toBe(0);
  });

  it('shows, changes and keeps the history of the policy', async () => {
    const set = await sspr([
      'policy',
      'set',
      'numberOfAuthenticationMethodsRequired=2',
      'blockedCountryCodes=["44","7"]',
      ...store,
    ]);
    expect(set.code, set.stderr).toBe(0);
    const shown = JSON.parse((await sspr(['policy', 'show', '--output', 'json', ...store])).stdout);
    expect(shown).toMatchObject({ numberOfAuthenticationMethodsRequired: 2, blockedCountryCodes: ['44', '7'] });
    const history = JSON.parse((await sspr(['policy', 'history', '--output', 'json', ...store])).stdout);
    expect(history).toHaveLength(1);
  });

  it('refuses an invalid policy in one line', async () => {
    expectOneLineError(
      await sspr(['policy', 'set', 'numberOfQuestionsToReset=9', ...store]),
      'numberOfQuestionsToReset',
    );
    expectOneLineError(await sspr(['policy', 'set', 'nonsense', ...store]), 'field=value');
  });

  it('assigns, lists and removes roles by name', async () => {
    expect(
      (await sspr(['role', 'assign', 'helen@example.com', 'Authentication Administrator', ...store])).stdout,
    ).toContain('assigned');
    expect(
      (await sspr(['role', 'assign', 'helen@example.com', 'authenticationAdministrator', ...store])).stdout,
    ).toContain('already holds');
    const listed = (await sspr(['role', 'list', '--output', 'csv', ...store])).stdout;
    expect(listed).toContain('helen@example.com,Authentication Administrator,c4e39bd9-1100-46d3-8c65-fb160da0071f');
    expect(listed).toContain('admin@example.com,Global Administrator,62e90394-69f5-4237-9190-012177145e10');
    expect(
      (await sspr(['role', 'remove', 'helen@example.com', 'Authentication Administrator', ...store])).stdout,
    ).toContain('removed');
  });

  it('refuses unknown roles and removing the last Global Administrator', async () => {
    expectOneLineError(
      await sspr(['role', 'assign', 'helen@example.com', 'Supreme Leader', ...store]),
      "Unknown role 'Supreme Leader'",
    );
    expectOneLineError(
      await sspr(['role', 'remove', 'admin@example.com', 'Global Administrator', ...store]),
      'last Global Administrator',
    );
  });
});
