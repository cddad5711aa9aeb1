import { describe, expect, it } from 'vitest';
import { bufferIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { GENERIC_INVARIANTS } from '../../lib/local/simulation/invariants.js';

/** A saga that is not the reference one, loaded the way a user's project is: by module path. */
const APP = 'test/fixtures/apps/transfer/app.ts';

async function cli(...argv: string[]) {
  const io = bufferIO();
  const code = await main(argv, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('saga … --app <module>: the tools on a user’s own saga', () => {
  it('verify and graph load the definition from the app module', async () => {
    const verify = await cli('verify', '--app', APP);
    expect(verify.code).toBe(0);
    expect(verify.out).toContain('saga "transfer" v1: ok');
    const graph = await cli('graph', '--app', APP, '--format', 'text');
    expect(graph.code).toBe(0);
    expect(graph.out).toContain('wallet');
    expect(graph.out).toContain('ledger');
  });

  it('run starts the app’s scenarios on the local cloud, ends every saga and checks the app’s invariants', async () => {
    const { code, out } = await cli('run', '--app', APP, '--sagas', '9', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { saga: string; summary: Record<string, number>; invariants: { checked: string[]; violations: unknown[] }; figures: Record<string, number> };
    expect(report.saga).toBe('transfer');
    expect(report.summary).toMatchObject({ total: 9, open: 0, completed: 6, compensated: 3 });
    expect(report.invariants.checked).toEqual([...GENERIC_INVARIANTS, 'money-conserved', 'no-negative-balance']);
    expect(report.invariants.violations).toEqual([]);
    expect(report.figures.totalMoneyCents).toBe(50_000);
  });

  it('simulate applies the whole fault plan to the app, checks every generic and app invariant by name, and is deterministic', async () => {
    const argv = ['simulate', '--app', APP, '--sagas', '60', '--seed', '4', '--all-faults', '0.05', '--json'];
    const first = await cli(...argv);
    const second = await cli(...argv);
    expect(second.out).toBe(first.out);
    const report = JSON.parse(first.out) as { saga: string; summary: Record<string, number>; violations: unknown[]; invariantsChecked: string[]; faults: Record<string, number> };
    expect(first.code, JSON.stringify(report.violations)).toBe(0);
    expect(report.saga).toBe('transfer');
    expect(report.summary.open).toBe(0);
    expect(report.invariantsChecked).toEqual([...GENERIC_INVARIANTS, 'money-conserved', 'no-negative-balance']);
    for (const kind of ['duplicate', 'crashAfterCommit', 'publishFailure', 'poison']) expect(report.faults[kind], kind).toBeGreaterThan(0);
  }, 300_000);

  it('says what an app module lacks, and exits 2', async () => {
    const { code, err } = await cli('simulate', '--app', 'test/fixtures/apps/broken/app.ts', '--sagas', '5');
    expect(code).toBe(2);
    expect(err).toContain('is not a saga app module');
    expect(err).toContain('`participants`');
    expect(err).toContain('`scenario(i, random)`');
    const missing = await cli('run', '--app', 'test/fixtures/apps/nowhere.ts');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('does not exist');
  });
});
