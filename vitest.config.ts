import { defineConfig } from 'vitest/config';

// Each test file starts its own database (embedded PGlite, or a fresh schema on
// PostgreSQL when CASSA_TEST_DATABASE_URL is set), hence the generous timeouts.
// The CI machine has 2 cores: run at most 2 test files in parallel.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
