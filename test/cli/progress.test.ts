import { describe, expect, it } from 'vitest';
import { createProgress, REDRAW_EVERY_MS, runsInCi } from '../../lib/cli/progress.js';
import { fakeTerminal } from '../support/fake-terminal.js';

describe('progress output of long commands', () => {
  it('draws phases as lines and the status in place, throttled, and ends the status line once', () => {
    // GIVEN a terminal
    const term = fakeTerminal();
    const p = createProgress(term);
    // WHEN a phase, three quick statuses, a later status, another phase and the end are reported
    p.phase('Simulating 10 sagas …');
    p.status('started 1/10');
    term.at += REDRAW_EVERY_MS / 2;
    p.status('started 2/10'); // too soon: not drawn
    term.at += REDRAW_EVERY_MS;
    p.status('started 3/10');
    p.phase('Checking invariants …');
    p.done();
    // THEN the status is redrawn over itself (carriage return, clear to end of line) and a phase clears it first
    expect(p.enabled).toBe(true);
    expect(term.written).toEqual(['Simulating 10 sagas …\n', '\rstarted 1/10', '\r\u001b[Kstarted 3/10', '\r\u001b[KChecking invariants …\n']);
    // AND done() after a status ends its line
    p.status('x');
    p.done();
    expect(term.written.slice(-2)).toEqual(['\rx', '\n']);
  });

  it('is silent without a terminal and under --json', () => {
    const term = fakeTerminal();
    for (const p of [createProgress(undefined), createProgress(term, { json: true })]) {
      p.phase('phase');
      p.status('status');
      p.done();
      expect(p.enabled).toBe(false);
    }
    expect(term.written).toEqual([]);
  });

  it('knows CI by the CI variable', () => {
    expect(runsInCi({ CI: 'true' })).toBe(true);
    expect(runsInCi({ CI: '1' })).toBe(true);
    expect(runsInCi({ CI: 'false' })).toBe(false);
    expect(runsInCi({ CI: '0' })).toBe(false);
    expect(runsInCi({})).toBe(false);
  });
});
