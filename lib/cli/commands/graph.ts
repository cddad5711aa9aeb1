import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { toMermaid, toTextSummary } from '../../core/diagram.js';
import { definitionSource, loadDefinitions } from '../definition-loader.js';
import { choreographyPage } from '../html/graph-page.js';
import { UsageError, type Command } from '../io.js';

export const graphCommand: Command = {
  name: 'graph',
  summary: 'print the choreography as a Mermaid diagram (or a text summary), or write it as a self-contained HTML page',
  usage:
    'saga graph [definition-module.ts | --app <module>] [--saga <name>] [--format mermaid|text] [--html <file>]\n' +
    '  --html <file>  write one HTML page (inline SVG, no network) with a diagram per saga, instead of printing',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { app: { type: 'string' }, saga: { type: 'string' }, format: { type: 'string', default: 'mermaid' }, html: { type: 'string' } } });
    if (values.format !== 'mermaid' && values.format !== 'text') throw new UsageError(`--format must be "mermaid" or "text", got ${JSON.stringify(values.format)}.`);
    if (values.html === '') throw new UsageError('--html needs a file name, e.g. --html choreography.html.');
    const defs = await loadDefinitions(definitionSource(values.app, positionals[0]), values.saga);
    if (values.html !== undefined) {
      writeFileSync(values.html, choreographyPage(defs));
      io.out(`Wrote ${values.html}: the choreography of ${defs.map((d) => `"${d.name}"`).join(', ')} (open it in a browser).`);
      return 0;
    }
    for (const def of defs) io.out(values.format === 'text' ? toTextSummary(def) : toMermaid(def));
    return 0;
  },
};
