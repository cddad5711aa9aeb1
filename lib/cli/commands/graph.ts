import { parseArgs } from 'node:util';
import { toMermaid, toTextSummary } from '../../core/diagram.js';
import { definitionSource, loadDefinitions } from '../definition-loader.js';
import { UsageError, type Command } from '../io.js';

export const graphCommand: Command = {
  name: 'graph',
  summary: 'print the choreography as a Mermaid diagram (or a text summary)',
  usage: 'saga graph [definition-module.ts | --app <module>] [--saga <name>] [--format mermaid|text]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { app: { type: 'string' }, saga: { type: 'string' }, format: { type: 'string', default: 'mermaid' } } });
    if (values.format !== 'mermaid' && values.format !== 'text') throw new UsageError(`--format must be "mermaid" or "text", got ${JSON.stringify(values.format)}.`);
    for (const def of await loadDefinitions(definitionSource(values.app, positionals[0]), values.saga)) io.out(values.format === 'text' ? toTextSummary(def) : toMermaid(def));
    return 0;
  },
};
