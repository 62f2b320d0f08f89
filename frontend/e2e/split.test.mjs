// The SPA split into pages loaded on demand: signing in downloads only the main module; every
// page is reached by the navigation and by a direct URL, each piece is fetched once however
// often its page is opened, and nothing breaks the Content-Security-Policy.
import { test, before, after } from "node:test";
import { world, check } from "./harness.mjs";

let w, page;
const fetched = []; // every .wasm the page requested, in order
const cspViolations = [];

before(async () => {
  w = await world({ sim: true });
  page = w.page;
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) fetched.push(path);
  });
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
  });
});
after(() => w?.stop());

const pieces = () => fetched.map((path) => path.split("/").pop());

// A page is drawn: no chunk on its way, a heading or the page's own error in <main>.
async function drawn(path) {
  await page.waitForFunction((want) => location.pathname === want
    && !document.querySelector(".route-loading .bar")
    && document.querySelector("main#main h1, main#main .error"), path);
}

test("signing in downloads the main module alone; no page chunk before a page needs it", async () => {
  const fresh = await (await w.chrome.newContext()).newPage();
  const before = [];
  fresh.on("request", (r) => { if (r.url().endsWith(".wasm")) before.push(new URL(r.url()).pathname.split("/").pop()); });
  await fresh.goto(w.app.base + "/login");
  await fresh.waitForSelector("input[name=username]");
  check(before.length === 1 && before[0] === "relay_frontend_bg.wasm", `the sign-in page fetched only the main module (${before.join(", ")})`);
  await fresh.context().close();
});

test("pointing at a link fetches its page before the click; the pages opened next come when idle", async () => {
  const audit = page.waitForRequest((r) => /split___audit_page_view_\w+\.wasm$/.test(r.url()));
  await page.hover("nav a[href='/auditoria']");
  await audit;
  check(page.url().endsWith("/envios"), "the Auditoría chunk arrived while the operator still looked at Envíos");
  await page.waitForFunction(() => performance.getEntriesByType("resource")
    .some((e) => /split___new_send_page_view_\w+\.wasm$/.test(e.name)));
  check(page.url().endsWith("/envios"), "Nuevo envío's chunk was fetched with the app idle, before anyone opened it");
});

test("every page by the navigation, then again: each chunk fetched once", async () => {
  const links = await page.$$eval("nav a[href]", (as) => as.map((a) => a.getAttribute("href")));
  check(links.length >= 12, `the admin's navigation lists every page (${links.join(" ")})`);
  for (const round of [1, 2]) {
    const start = fetched.length;
    for (const href of links) {
      await page.click(`nav a[href='${href}']`);
      await drawn(href);
    }
    const added = pieces().slice(start);
    if (round === 1) check(added.some((f) => f.startsWith("split_")), `the first round fetched page chunks (${added.length} pieces)`);
    else check(added.length === 0, `the second round fetched nothing again (${added.join(", ")})`);
  }
  const counts = {};
  for (const f of pieces()) counts[f] = (counts[f] || 0) + 1;
  const twice = Object.entries(counts).filter(([, n]) => n > 1);
  check(twice.length === 0, `no piece was fetched twice (${twice.map(([f, n]) => `${f}×${n}`).join(", ")})`);
});

test("every page by a direct URL, as a bookmark opens it", async () => {
  for (const path of ["/envios/nuevo", "/envios/999999", "/reportes", "/auditoria", "/plantillas", "/plantillas/nueva",
    "/usuarios", "/mensajes", "/mensajes/nuevo", "/mensajes/999999", "/adjuntos", "/remitentes", "/sistema",
    "/tokens", "/mi-remitente", "/contrasena"]) {
    await page.goto(w.app.base + path);
    await drawn(path);
    check((await page.locator("main#main").textContent()).trim().length > 0, `${path} opens by its URL`);
  }
  check(cspViolations.length === 0, `no Content-Security-Policy violation (${cspViolations.join("; ")})`);
});
