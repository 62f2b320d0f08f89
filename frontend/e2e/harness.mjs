// Starts the real relay-console binary serving the built SPA on a free port, with a fresh
// SQLite database and a superuser, and a headless Chromium to drive it.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");

function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

export async function startApp(binary, extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "relay-e2e-"));
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    SECRET_KEY: "eQ7wT3zK9mV1xP5rN8cL2jF6hB4yS0dGaUoIiXnWqZt",
    DATABASE_URL: `sqlite://${join(dir, "e2e.sqlite3")}?mode=rwc`,
    DATA_DIR: dir,
    STATIC_DIR: join(root, "frontend/dist"),
    BIND_ADDR: `127.0.0.1:${port}`,
    BULK_SCHEDULER_ENABLED: "false",
    REPORTS_TIMER_ENABLED: "false",
    ...extraEnv,
  };
  const out = execFileSync(binary, ["create-superuser", "--username", "admin", "--generate-password"], { env }).toString();
  const password = out.match(/contraseña:\s+(\S+)/)[1];
  const server = spawn(binary, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let logs = "";
  server.stderr.on("data", (d) => (logs += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    password,
    logs: () => logs,
    async stop() {
      server.kill("SIGTERM");
      await new Promise((r) => server.on("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export function check(condition, message) {
  if (!condition) throw new Error(`FAILED: ${message}`);
  console.log(`  ok - ${message}`);
}
