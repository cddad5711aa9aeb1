import type { TestProject } from 'vitest/node';
import { MOTO_INSTALL_HINT, motoAnswers, motoCommand, startMoto } from './moto.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** moto's endpoint for the conformance suite's `moto` target; '' when moto is unavailable. */
    motoEndpoint: string;
    /** Why moto is unavailable (with how to install it); '' when it runs. */
    motoSkipReason: string;
  }
}

/**
 * vitest globalSetup: one moto server for the whole run, on a free loopback port, provided to the
 * test files as `inject('motoEndpoint')`. `MOTO_ENDPOINT` names an already running moto instead.
 * Without moto: CI (`CI` set) fails loudly; elsewhere the moto target reports itself skipped with
 * the install hint.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.MOTO_ENDPOINT;
  if (given) {
    if (!(await motoAnswers(given))) throw new Error(`MOTO_ENDPOINT=${given} does not answer DynamoDB requests`);
    project.provide('motoEndpoint', given);
    project.provide('motoSkipReason', '');
    return undefined;
  }
  if (!motoCommand()) {
    if (process.env.CI) throw new Error(`${MOTO_INSTALL_HINT}. CI is set, so the conformance suite's moto target is required.`);
    console.warn(`[moto-global-setup] ${MOTO_INSTALL_HINT}; the moto conformance target is skipped.`);
    project.provide('motoEndpoint', '');
    project.provide('motoSkipReason', MOTO_INSTALL_HINT);
    return undefined;
  }
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('motoSkipReason', '');
  return () => moto.stop();
}
