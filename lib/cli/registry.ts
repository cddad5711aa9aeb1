import { graphCommand } from './commands/graph.js';
import { initCommand } from './commands/init.js';
import { localCommand } from './commands/local.js';
import { runCommand } from './commands/run.js';
import { simulateCommand } from './commands/simulate.js';
import { verifyCommand } from './commands/verify.js';
import type { Command } from './io.js';
import { operatorCommands } from './operator/commands.js';

/** Every `saga` command, in the order `saga --help` lists them. */
export const commands: readonly Command[] = [runCommand, verifyCommand, graphCommand, simulateCommand, initCommand, localCommand, ...operatorCommands];
