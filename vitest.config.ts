import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Installs docker.io + busybox-static once if missing (test/harness/README.md).
    globalSetup: ['test/harness/global-setup.ts'],
  },
});
