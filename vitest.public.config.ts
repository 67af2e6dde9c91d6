import { defineConfig } from "vitest/config";

// Checks against third-party session files under ../shared/fixtures/public (never copied into
// the project). Run by `npm run test:public` in .ci/run.
export default defineConfig({
  test: {
    include: ["test/public/**/*.test.ts"],
    testTimeout: 120_000,
  },
});
