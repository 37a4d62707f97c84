import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["./test/live-server.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
