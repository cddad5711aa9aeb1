import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../lib/constructs/index.js';
import { PACKAGE_ROOT } from '../../lib/constructs/paths.js';

describe('lib/constructs/index.ts', () => {
  it('only re-exports', () => {
    const lines = readFileSync(join(PACKAGE_ROOT, 'lib', 'constructs', 'index.ts'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    expect(lines.filter((l) => !/^export \* from '\.\/[\w-]+\.js';$/.test(l))).toEqual([]);
  });

  it('exposes the public constructs', () => {
    expect(Object.keys(api)).toEqual(expect.arrayContaining(['Choreography', 'SagaParticipant', 'ImportedChoreography', 'SagaConstructError', 'ACKNOWLEDGEMENTS']));
  });
});
