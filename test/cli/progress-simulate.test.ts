import { describe, expect, it } from 'vitest';
import { bufferIO } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/main.js';
import { REDRAW_EVERY_MS } from '../../lib/cli/progress.js';
import { fakeTerminal } from '../support/fake-terminal.js';

describe('saga simulate progress', () => {
  it('saga simulate draws progress on a terminal, and nothing under --json or without one', async () => {
    const argv = ['simulate', '--sagas', '30', '--seed', '3', '--duplicate', '0.1'];
    // GIVEN a terminal whose clock always allows a redraw
    const term = fakeTerminal();
    term.now = () => (term.at += REDRAW_EVERY_MS);
    const watched = { ...bufferIO(), terminal: term };
    // WHEN it runs watched, under --json, and piped
    expect(await main(argv, watched)).toBe(0);
    const json = { ...bufferIO(), terminal: fakeTerminal() };
    expect(await main([...argv, '--json'], json)).toBe(0);
    const piped = bufferIO();
    expect(await main(argv, piped)).toBe(0);
    // THEN the watched run shows its phases and in-place counts, ending its status line before the report
    const drawn = term.written.join('');
    expect(drawn).toContain('Simulating 30 sagas of "order", seed 3');
    expect(drawn).toMatch(/\r(\u001b\[K)?started 30\/30 sagas, \d+ deliveries/);
    expect(drawn).toContain('Checking invariants on the stored data …\n');
    expect(drawn.endsWith('\n')).toBe(true);
    expect(watched.stdout.join('\n')).toContain('No violations; every saga ended.');
    // AND the JSON run drew nothing and printed only the report; the piped run printed no progress
    expect(json.terminal.written).toEqual([]);
    expect(JSON.parse(json.stdout.join('')).summary.total).toBe(30);
    expect(json.stderr).toEqual([]);
    expect(piped.stderr).toEqual([]);
  });
});
