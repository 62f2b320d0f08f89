// `just bench`: how long a visitor waits for the first screen (the sign-in form rendered)
// from a local server, cold cache, headless Chromium. Prints one markdown table row.
// Usage: node frontend/e2e/first_screen.mjs target/release/relay-console
import { startApp, browser } from "./harness.mjs";

const app = await startApp(process.argv[2] || "target/release/relay-console", null);
const chrome = await browser();
const runs = [];
try {
  for (let i = 0; i < 5; i++) {
    const context = await chrome.newContext(); // a fresh cache each time
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(app.base + "/");
    await page.waitForSelector("form.card button[type=submit]");
    runs.push(Date.now() - started);
    await context.close();
  }
} finally {
  await chrome.close();
  await app.stop();
}
const median = [...runs].sort((a, b) => a - b)[2];
const verdict = median < 1000 ? "meets target" : "MISSES target";
console.log(`| first screen | SPA | sign-in form, cold cache, 5 runs | ${median} ms median [${runs.join(", ")}] (target < 1 s: ${verdict}) | | |`);
