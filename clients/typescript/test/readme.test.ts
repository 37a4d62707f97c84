// The README's TypeScript examples compile against the built package, imported by its name
// (what an app does after `npm install`).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

it("compiles the README's examples", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  const files = blocks.map((block, i) => {
    const file = join(root, "test", `.readme-example-${i}.ts`);
    writeFileSync(file, `${block}\nexport {};\n`);
    return file;
  });
  const tsc = join(root, "node_modules", ".bin", "tsc");
  const args = ["--noEmit", "--strict", "--module", "ESNext", "--moduleResolution", "Bundler"];
  args.push("--target", "ES2022", "--lib", "ES2022,DOM", "--types", "node", ...files);
  execFileSync(tsc, args, { cwd: root, stdio: "pipe" });
});
