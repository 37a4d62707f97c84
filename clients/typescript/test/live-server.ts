// Vitest global setup: the journey test needs a live server. STUDIOZENS_BASE_URL points at a
// running one; otherwise
// scripts/contract/live_server.py starts gunicorn on a free loopback port (migrated, demo
// data seeded, rate limits off, DEBUG for the development outbox) on DATABASE_URL /
// REDIS_URL, and stops it when the tests end.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import type { TestProject } from "vitest/node";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
let server: ChildProcess | null = null;

export async function setup(project: TestProject): Promise<void> {
  // Not BASE_URL: Vite sets it to "/" in every process it runs.
  const given = process.env.STUDIOZENS_BASE_URL;
  if (given) {
    process.env.STUDIOZENS_BASE_URL = given;
    project.provide("baseUrl", given);
    return;
  }
  const uv = process.env.UV ?? "uv";
  // The command live_server runs once the server is up: it waits until we close its stdin.
  const wait = ["python", "-c", "import sys; sys.stdin.read()"];
  server = spawn(
    uv,
    ["run", "python", "-m", "scripts.contract.live_server", "--workers", "1", "--seed", "--", ...wait],
    { cwd: repo, stdio: ["pipe", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    server?.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(/live server on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
    server?.on("exit", (code) => reject(new Error(`live server exited (${code}): ${out}`)));
  });
  process.env.STUDIOZENS_BASE_URL = url;
  project.provide("baseUrl", url);
}

export async function teardown(): Promise<void> {
  if (!server) return;
  const exited = new Promise((resolve) => server?.on("exit", resolve));
  server.stdin?.end();
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  if (server.exitCode === null) server.kill("SIGTERM");
  server.stdout?.destroy();
  server.unref();
}

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}
