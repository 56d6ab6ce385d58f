/**
 * vitest globalSetup: install the test bed once per run, before any worker starts daemons, so
 * parallel test files never race on apt's lock.
 * @module
 */
import { ensureDockerInstalled } from './install.js';

/** Called once by vitest before the workers start. */
export default function setup(): void {
  ensureDockerInstalled();
}
