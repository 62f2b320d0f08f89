// Starts the real processes a browser test needs: the Doppler Relay simulator on its own
// port, the relay-console binary serving the built SPA against it (fresh SQLite database,
// a superuser), and a headless Debian Chromium driven by playwright-core.
import { spawn, execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const root = resolve(import.meta.dirname, "../..");
export const screenshots = join(root, "target/screenshots");
const SIM_KEY = "e2e-simulator-key";

// Resolves with the first capture of `pattern` in the process's output (stdout or
// stderr); fails at once when the process exits first.
function announced(child, pattern) {
  return new Promise((ok, fail) => {
    let seen = "";
    let done = false;
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (d) => {
        seen += d;
        const m = !done && seen.match(pattern);
        if (m) {
          done = true;
          ok(m[1]);
        }
      });
    }
    child.on("exit", (code) => done || fail(new Error(`process exited (${code}) before it was ready:\n${seen}`)));
  });
}

export async function startSim(binary) {
  const sim = spawn(binary, ["--listen", "127.0.0.1:0", "--api-key", SIM_KEY, "--report-delay-ms", "300"],
    { stdio: ["ignore", "pipe", "pipe"] });
  const addr = await announced(sim, /listening on (http:\/\/\S+)/);
  return {
    base: addr,
    async faults(f) {
      const r = await fetch(`${addr}/_sim/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(f) });
      if (!r.ok) throw new Error(`simulator refused faults: ${r.status}`);
    },
    async stop() {
      sim.kill("SIGTERM");
      await new Promise((r) => sim.on("exit", r));
    },
  };
}

export async function startApp(binary, sim, extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "relay-e2e-"));
  const env = {
    PATH: process.env.PATH,
    SECRET_KEY: "eQ7wT3zK9mV1xP5rN8cL2jF6hB4yS0dGaUoIiXnWqZt",
    DATABASE_URL: `sqlite://${join(dir, "e2e.sqlite3")}?mode=rwc`,
    DATA_DIR: dir,
    STATIC_DIR: join(root, "frontend/dist"),
    BIND_ADDR: "127.0.0.1:0",
    TIME_ZONE: "America/Guayaquil",
    BULK_SCHEDULER_ENABLED: "false",
    REPORTS_TIMER_ENABLED: "false",
    POST_SEND_REPORT_DELAY_MIN: "0",
    DOPPLER_REPORTS_POLL_INITIAL_DELAY: "1",
    DOPPLER_RELAY_FROM_EMAIL: "cobranzas@example.com",
    DOPPLER_RELAY_FROM_NAME: "Equipo Cobranza",
    ...(sim ? { DOPPLER_RELAY_BASE_URL: sim.base + "/", DOPPLER_RELAY_API_KEY: SIM_KEY, DOPPLER_RELAY_ACCOUNT_ID: "9518" } : {}),
    ...extraEnv,
  };
  const out = execFileSync(binary, ["create-superuser", "--username", "admin", "--generate-password"], { env }).toString();
  execFileSync(binary, ["setup-groups"], { env }); // "Operadores UI" and "Report Managers"
  const password = out.match(/contraseña:\s+(\S+)/)[1];
  const server = spawn(binary, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  server.stderr.on("data", (d) => (logs += d));
  server.stdout.on("data", (d) => (logs += d));
  const addr = await announced(server, /listening address=([\d.]+:\d+)/);
  const base = `http://${addr}`;
  const api = async (method, path, token, body) => {
    const r = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body && JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    base,
    password,
    api,
    logs: () => logs,
    async token(username = "admin", pass = password) {
      const r = await fetch(base + "/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password: pass }) });
      return (await r.json()).access_token;
    },
    async stop() {
      server.kill("SIGTERM");
      await new Promise((r) => server.on("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Every API call a page makes, with its answer's status and the SPA page it was made from,
// appended to this file; coverage.test.mjs maps them onto the OpenAPI operations.
export const apiCalls = join(root, "target/e2e/api-calls.jsonl");

function recordApiCalls(context) {
  // The page a request was made from, taken when it leaves (a slow answer may arrive after
  // the user has moved on).
  const madeFrom = new WeakMap();
  context.on("request", (request) => {
    try {
      madeFrom.set(request, new URL(request.frame().url()).pathname);
    } catch {
      // A request without a frame (none in this SPA) is recorded without its page.
    }
  });
  context.on("response", (response) => {
    const url = new URL(response.url());
    if (!url.pathname.startsWith("/api/")) return;
    const request = response.request();
    const call = { method: request.method(), path: url.pathname, status: response.status(), page: madeFrom.get(request) || "" };
    appendFileSync(apiCalls, JSON.stringify(call) + "\n");
  });
}

export async function browser() {
  mkdirSync(join(root, "target/e2e"), { recursive: true });
  const chrome = await launch();
  const newContext = chrome.newContext.bind(chrome);
  chrome.newContext = async (options) => {
    const context = await newContext(options);
    recordApiCalls(context);
    return context;
  };
  return chrome;
}

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    // Sandboxed iframes (every preview: `sandbox=""` with `srcdoc`) stay in their page's
    // process: Chromium moves them to a process of their own as their document changes, and
    // the driver then sometimes hears of the same frame twice and fails the whole file on its
    // own assertion (FrameManager.frameAttached), outside any test. What renders is the same.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-features=IsolateSandboxedIframes"],
  });
}

export async function signIn(page, base, username, password) {
  await page.goto(base + "/login");
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=signed-in-user]");
}

// Screenshots of the page as it stands, at desktop and phone widths.
export async function shoot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 1280 ? 900 : 844 });
    await page.screenshot({ path: join(screenshots, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

export function check(condition, message) {
  if (!condition) throw new Error(`FAILED: ${message}`);
  console.log(`  ok - ${message}`);
}

// Something a person sees (or sees go, with `{ state: "detached" }`): waits for it, and fails
// the test with `message` when it never comes within the wait's timeout.
export async function shows(target, selector, message, options = {}) {
  try {
    await target.waitForSelector(selector, options);
  } catch (err) {
    throw new Error(`FAILED: ${message} (${selector}: ${err.message.split("\n")[0]})`);
  }
  console.log(`  ok - ${message}`);
}

// The address the browser ends up at, as `shows` does for what is on the page.
export async function reaches(page, url, message) {
  try {
    await page.waitForURL(url);
  } catch (err) {
    throw new Error(`FAILED: ${message} (never reached ${url}: ${err.message.split("\n")[0]})`);
  }
  console.log(`  ok - ${message}`);
}

const consoleBinary = () => process.env.RELAY_CONSOLE_BIN || "target/debug/relay-console";
const simBinary = () => process.env.RELAY_SIM_BIN || "target/debug/relay-sim";

// Everything a browser test file needs, started and signed in: the simulator (when asked),
// the server (with `env`), Chromium, a page signed in as the admin or as `user` (created
// first through the API), the admin's token, and `stop()`, which also fails the file if the
// page threw a script error.
export async function world({ sim = false, env = {}, user = null, contextOptions = {} } = {}) {
  const simulator = sim ? await startSim(simBinary()) : null;
  const app = await startApp(consoleBinary(), simulator, env);
  const chrome = await browser();
  const token = await app.token();
  if (user) await app.api("POST", "/api/v1/users", token, user);
  const page = await (await chrome.newContext(contextOptions)).newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, app.base, user ? user.username : "admin", user ? user.password : app.password);
  return {
    sim: simulator, app, chrome, page, token,
    async stop() {
      // Pages first, then the browser: closing the browser under open pages races the
      // driver's own bookkeeping. Each page leaves the app first, so no request of its
      // polling is in flight when its context closes (the driver failed the file once on
      // an event for a request of a context already gone).
      for (const context of chrome.contexts()) {
        for (const open of context.pages()) await open.goto("about:blank");
        await context.close();
      }
      await chrome.close();
      await app.stop();
      await simulator?.stop();
      check(errors.length === 0, `no script errors in the page (${errors.join("; ")})`);
    },
  };
}

// The accessibility problems axe-core (npm) finds on the page as it stands that are
// serious or critical, as "rule: target …" lines. axe is evaluated through the driver,
// so the page's Content-Security-Policy stays as production sends it.
const axeSource = readFileSync(join(root, "frontend/node_modules/axe-core/axe.min.js"), "utf8");
export async function accessibilityProblems(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(`${axeSource};0`);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  return violations;
}
