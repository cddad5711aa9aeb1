import { parseArgs } from 'node:util';
import { verifyDefinition } from '../../core/verify/index.js';
import { definitionSource, loadDefinitions } from '../definition-loader.js';
import type { Command } from '../io.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check saga definitions for choreography mistakes (exit 1 on errors)',
  usage: 'saga verify [definition-module.ts | --app <module>] [--saga <name>] [--json]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { app: { type: 'string' }, saga: { type: 'string' }, json: { type: 'boolean', default: false } } });
    const defs = await loadDefinitions(definitionSource(values.app, positionals[0]), values.saga);
    let errors = 0;
    const report = defs.map((def) => {
      const findings = verifyDefinition(def);
      errors += findings.filter((f) => f.severity === 'error').length;
      return { saga: def.name, version: def.version, findings };
    });
    if (values.json) {
      io.out(JSON.stringify({ ok: errors === 0, sagas: report }, null, 2));
    } else {
      for (const r of report) {
        const e = r.findings.filter((f) => f.severity === 'error').length;
        io.out(`saga "${r.saga}" v${r.version}: ${e === 0 ? 'ok' : `${e} error(s)`}${r.findings.length - e ? `, ${r.findings.length - e} warning(s)` : ''}`);
        for (const f of r.findings) io.out(`  ${f.severity === 'error' ? 'error  ' : 'warning'} [${f.code}] ${f.message}`);
      }
    }
    return errors === 0 ? 0 : 1;
  },
};
