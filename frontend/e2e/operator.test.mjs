// The dashboard as an operator uses it (issue 21), by the visible words, at 1280 px and at
// a 390 px phone: a file whose e-mail column is named anyhow, a spreadsheet uploaded by
// mistake, a reload in the middle of "Nuevo envío", the home page's figures, chart, cards and
// searches, a quota pause's date, what a send sent, exports in the chosen language, the
// operators' own words (no English state names, no setting names), no page wider than the
// phone, tap targets, the tab's title, and an editor that asks before losing changes.
import { test, before, after } from "node:test";
import { writeFileSync, mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { world, check, shoot, screenshots, accessibilityProblems } from "./harness.mjs";

let w, sim, app, chrome, page, token;
const dir = mkdtempSync(join(tmpdir(), "relay-e2e-operator-"));
const file = (name, body) => {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
};

before(async () => {
  w = await world({ sim: true, env: { SEND_RATE_PER_SECOND: "20" } });
  ({ sim, app, chrome, page, token } = w);
});
after(() => w?.stop());

const templateId = async (q) => (await app.api("GET", `/api/v1/templates?q=${encodeURIComponent(q)}`, token)).items[0].id;

async function createByApi(csv, fields = {}) {
  const form = new FormData();
  form.append("recipients_file", new Blob([csv], { type: "text/csv" }), "lista.csv");
  form.append("template_id", await templateId("Descuento"));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const r = await fetch(app.base + "/api/v1/bulk-sends", { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${await r.text()}`);
  return r.json();
}

async function waitStatus(id, statuses) {
  for (let i = 0; i < 600; i++) {
    const send = await app.api("GET", `/api/v1/bulk-sends/${id}`, token);
    if (statuses.includes(send.status)) return send;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`send ${id} never reached ${statuses}`);
}

const DEUDOR = "Cédula;EMAIL_DEUDOR;Email Cliente;Nombre;deuda;identificacion;descuento;total_a_pagar\n"
  + "0101;ana@example.com;notas;Ana Pérez;10;0101;1;9\n"
  + "0102;luis@example.com;;Luis Mora;20;0102;2;18\n";

test("Nuevo envío: the e-mail column found by content and chosen, a spreadsheet refused in words, a reload keeps the form", async () => {
  await page.goto(app.base + "/envios/nuevo");
  await page.fill("input[aria-controls=template-options]", "descuento");
  await page.click(".option:has-text('Descuento en su deuda')");
  check((await page.textContent(".dropzone")).includes("Arrastre el CSV aquí o elija un archivo"), "the drop zone speaks Spanish");

  // A workbook uploaded by mistake: the reason in words, no bytes on screen.
  const xlsx = Buffer.concat([Buffer.from("PK\x03\x04\x14\x00\x06\x00", "latin1"), Buffer.from("[Content_Types].xml xl/workbook.xml"), Buffer.alloc(64)]);
  await page.setInputFiles("input[name=recipients_file]", file("cartera.xlsx", xlsx));
  const problem = await page.waitForSelector("[data-testid=csv-problem]");
  const said = await problem.textContent();
  check(said.includes("Esto no es un CSV") && said.includes("Excel") && said.includes("CSV UTF-8"), `a spreadsheet is named as such (${said})`);
  check(!(await page.textContent("main")).includes("PK"), "no bytes of the file are shown");

  // A file whose address column is EMAIL_DEUDOR: found by what it holds; the old error is gone.
  await page.setInputFiles("input[name=recipients_file]", file("cartera.csv", DEUDOR));
  await page.waitForSelector("[data-testid=csv-preview]");
  check(!(await page.isVisible("[data-testid=csv-problem]")), "a new file clears the old error");
  check((await page.inputValue("[data-testid=email-column]")) === "EMAIL_DEUDOR", "the column whose values are addresses is read as the e-mail");
  const options = await page.$$eval("[data-testid=email-column] option", (os) => os.map((o) => o.textContent));
  check(options.some((o) => o.startsWith("EMAIL_DEUDOR") && o.includes("parece correo")) && !options.some((o) => o.startsWith("Email Cliente") && o.includes("parece correo")),
    "the picker marks the column that looks like e-mail");
  // Nombre for {{nombres}}: taken without asking.
  await page.waitForFunction(() => [...document.querySelectorAll(".mapping label")].some((l) => l.textContent.includes("{{nombres}}") && l.querySelector("select").value === "Nombre"));
  check(!(await page.isVisible("[data-testid=missing-variables]")), "'Nombre' is taken for {{nombres}}: nothing is missing");
  check((await page.textContent("[data-testid=valid-rows]")).trim() === "2", "both rows are valid");
  await shoot(page, "new-send-email-column");

  // The operator picks another column: the preview follows.
  await page.selectOption("[data-testid=email-column]", "Email Cliente");
  await page.waitForSelector("[data-testid=valid-rows]:text-is('0')");
  await page.focus("[data-testid=email-column]");
  await page.selectOption("[data-testid=email-column]", "EMAIL_DEUDOR");
  await page.waitForSelector("[data-testid=valid-rows]:text-is('2')");
  check((await page.inputValue("[data-testid=email-column]")) === "EMAIL_DEUDOR", "choosing a column reads the file again with it");
  // The preview redraws the picker; the keyboard focus stays on it (one frame later).
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const focused = await page.evaluate(() => document.activeElement?.getAttribute("name"));
  check(focused === "email_column", `the column picker keeps the focus after the preview (${focused})`);

  // A reload in the middle: the form comes back, the file is asked for by name.
  await page.fill("input[name=subject]", "Su descuento de diciembre");
  await page.reload();
  await page.waitForSelector("[data-testid=chosen-template]");
  check((await page.inputValue("input[name=subject]")) === "Su descuento de diciembre", "the subject survives a reload");
  check((await page.textContent("[data-testid=choose-file-again]")).includes("cartera.csv"), "and the file is asked for again by its name");
  await page.setInputFiles("input[name=recipients_file]", file("cartera.csv", DEUDOR));
  await page.waitForSelector("[data-testid=valid-rows]:text-is('2')");

  await page.click("button:has-text('Revisar y enviar')");
  await page.waitForSelector("[data-testid=review]");
  check((await page.textContent("[data-testid=confirm-send]")).includes("Enviar 2 correos"), "the last step counts the e-mails that go out");
  await shoot(page, "new-send-review-phone-check");
  await page.click("[data-testid=confirm-send]");
  await page.waitForURL(/\/envios\/\d+$/);
  const id = Number(page.url().split("/").pop());
  const send = await waitStatus(id, ["done"]);
  check(send.file.email_column === "EMAIL_DEUDOR" && send.counts.sent === 2, "the send went out to the chosen column's addresses");

  // The next file for this template: the column used last time is taken again.
  await page.goto(app.base + "/envios/nuevo");
  await page.fill("input[aria-controls=template-options]", "descuento");
  await page.click(".option:has-text('Descuento en su deuda')");
  const both = "email;EMAIL_DEUDOR;Nombre;deuda;identificacion;descuento;total_a_pagar\nsecretaria@example.com;eva@example.com;Eva;1;1;1;1\n";
  await page.setInputFiles("input[name=recipients_file]", file("otra.csv", both));
  await page.waitForFunction(() => document.querySelector("[data-testid=email-column]")?.value === "EMAIL_DEUDOR");
  check((await page.inputValue("[data-testid=email-column]")) === "EMAIL_DEUDOR", "the e-mail column is remembered per template");
});

test("a send's page: what was sent, a quota pause's date, exports in the chosen language", async () => {
  const attachment = await (async () => {
    const form = new FormData();
    form.append("file", new Blob(["%PDF-1.4 estado"]), "estado-de-cuenta.pdf");
    const r = await fetch(app.base + "/api/v1/attachments", { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    return r.json();
  })();
  const csv = "email;cliente;deuda;identificacion;descuento;total_a_pagar\nana@example.com;Ana;10;0101;1;9\nluis@example.com;Luis;20;0102;2;18\n";
  const sent = await createByApi(csv + "no-es-correo;Eva;1;1;1;1\n", { send_now: "true", attachment_ids: String(attachment.id), mapping: JSON.stringify({ nombres: "cliente" }) });
  await waitStatus(sent.id, ["done"]);
  await page.goto(`${app.base}/envios/${sent.id}`);
  await page.waitForSelector("table.data td:has-text('no-es-correo')");
  const states = await page.$$eval("table.data td[data-label='Estado de envío'] .badge", (bs) => bs.map((b) => b.textContent.trim()));
  check(states.includes("inválido, no se envía") && !states.includes("pendiente"), `an invalid row of a finished send is not 'pendiente' (${states})`);
  await page.goto(`${app.base}/envios/${sent.id}?pestana=contenido`);
  const content = await page.waitForSelector("[data-testid=send-content]");
  const text = await content.textContent();
  check(text.includes("cobranzas@example.com") && text.includes("{{nombres}}") && text.includes("cliente"), "'Contenido' shows the From and each variable's column");
  check((await page.textContent("[data-testid=send-attachments]")).includes("estado-de-cuenta.pdf"), "and the attachments it carried");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=send-attachments] button")]);
  check(readFileSync(await download.path(), "utf8") === "%PDF-1.4 estado", "an attachment downloads from the send's page");
  const frame = await (await page.waitForSelector("iframe[data-testid=content-preview]")).contentFrame();
  await frame.waitForSelector("h2:has-text('Ana')");
  await page.fill("input[name=fila]", "2");
  await page.press("input[name=fila]", "Enter");
  await page.waitForSelector("[data-testid=content-to]:text-is('luis@example.com')");
  // The same iframe is given the new e-mail: a locator finds its frame again after the
  // change (a frame handle taken before it can miss the new document).
  const preview = page.frameLocator("iframe[data-testid=content-preview]").locator("h2");
  await preview.filter({ hasText: "Luis" }).waitFor();
  check((await preview.textContent()).includes("Luis"), "the e-mail as row 2 got it");
  await shoot(page, "send-content");

  // English: the export speaks it.
  await page.goto(`${app.base}/envios/${sent.id}`);
  await page.click(".user-menu button[lang=en]");
  await page.waitForSelector("button:has-text('Export CSV')");
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click("button:has-text('Export CSV')")]);
  const exported = readFileSync(await csvDownload.path(), "utf8");
  check(exported.startsWith('\ufeff"Row";"Email";"State";"Validation"') && exported.includes('"sent"') && exported.includes('"cliente"'),
    "recipients.csv has English headers and states, and the file's columns");
  check(!/\d{2}:\d{2}:\d{2}\.\d/.test(exported), "times to the second, no fractions");
  await page.click(".user-menu button[lang=es]");
  await page.waitForSelector("button:has-text('Exportar CSV')");

  // A quota pause says until when, with the weekday.
  await sim.faults({ quota_after: 0 });
  const paused = await createByApi(csv, { send_now: "true", mapping: JSON.stringify({ nombres: "cliente" }) });
  await waitStatus(paused.id, ["paused"]);
  await sim.faults({});
  await page.goto(`${app.base}/envios/${paused.id}`);
  const reason = await (await page.waitForSelector("[data-testid=pause-reason]")).textContent();
  check(/hasta el [a-záéíóú]+ \d{1,2}\/\d{1,2} a las \d{2}:\d{2}/.test(reason), `a quota pause names the day and time it lifts (${reason})`);
  check((await page.textContent("[data-testid=status-message]")).includes("límite de envíos"), "Doppler's words about the quota, in Spanish");
  await page.click(".user-menu button[lang=en]");
  await page.waitForFunction(() => /quota/.test(document.querySelector("[data-testid=status-message]")?.textContent ?? ""));
  check(!(await page.textContent("[data-testid=status-message]")).includes("límite"), "and in English for an English user");
  await page.click(".user-menu button[lang=es]");
  await page.waitForSelector("button:has-text('Exportar CSV')");
  await app.api("POST", `/api/v1/bulk-sends/${paused.id}/cancel`, token);
});

test("the home page: e-mail figures, the last 30 days, cards that filter, my sends, a search by address", async () => {
  await page.goto(app.base + "/envios");
  const figures = await (await page.waitForSelector("[data-testid=email-cards]")).textContent();
  check(figures.includes("Correos enviados") && figures.includes("Entregados") && figures.includes("Abiertos"), "the e-mails are counted beside the sends");
  check(await page.isVisible("figure.chart .columns"), "the last 30 days are a chart");
  const labelSize = await page.$eval("figure.chart .chart-label", (e) => parseFloat(getComputedStyle(e).fontSize));
  check(labelSize >= 12, `chart labels are at least 12 px (${labelSize})`);
  check((await page.textContent("table.data thead")).includes("Destinatarios"), "each send shows its recipient count");

  await page.click("[data-testid=send-cards] button:has-text('Terminados')");
  await page.waitForFunction(() => location.search.includes("estado="));
  await page.waitForFunction(() => [...document.querySelectorAll("table.data td[data-label=Estado]")].every((td) => /terminado|cancelado/.test(td.textContent)));
  check((await page.getAttribute("[data-testid=send-cards] button:has-text('Terminados')", "aria-pressed")) === "true", "a card filters the list to its sends");
  await page.click("[data-testid=send-cards] button:has-text('Terminados')");
  await page.waitForFunction(() => !location.search.includes("estado="));

  await page.fill("input[type=search]", "luis@example.com");
  await page.press("input[type=search]", "Enter");
  await page.waitForFunction(() => location.search.includes("luis"));
  const rows = await page.$$eval("table.data tbody tr", (trs) => trs.length);
  const byApi = await app.api("GET", "/api/v1/bulk-sends?period=current_month&recipient=luis@example.com", token);
  check(rows === byApi.total && rows >= 2, `an address finds the sends that wrote to it (${rows})`);

  await app.api("POST", "/api/v1/users", token, { username: "operadora", password: "operadora-clave-Cayambe-7", permissions: ["bulk_sends.view"] });
  await page.goto(app.base + "/envios?mios=1");
  await page.waitForSelector("table.data tbody tr");
  check(await page.isChecked("input[name=mios]"), "'Mis envíos' is a filter of its own");
  await shoot(page, "home");
});

// Every page of the app, as the admin reaches it (the data made by the tests above).
async function everyPage() {
  const sends = await app.api("GET", "/api/v1/bulk-sends?period=all", token);
  const messages = await app.api("POST", "/api/v1/messages", token, { to: ["ana@example.com"], subject: "Aviso", html: "<p>hola</p>" });
  const template = encodeURIComponent(await templateId("Descuento"));
  const id = sends.items[0].id;
  return ["/envios", "/envios/nuevo", `/envios/${id}`, `/envios/${id}?pestana=contenido`, `/envios/${id}?pestana=reporte`,
    `/envios/${id}?pestana=trabajos`, `/envios/${id}?pestana=historial`, "/reportes", "/auditoria", "/auditoria?pestana=registro",
    "/plantillas", `/plantillas/${template}`, "/plantillas/nueva", "/usuarios", "/usuarios?pestana=grupos", "/mensajes",
    "/mensajes/nuevo", `/mensajes/${messages.id}`, "/adjuntos", "/remitentes", "/sistema", "/tokens", "/mi-remitente", "/contrasena"];
}

async function open(path) {
  await page.goto(app.base + path);
  await page.waitForFunction(() => !document.querySelector(".route-loading .bar") && document.querySelector("main#main h1")
    && !document.querySelector("main [aria-busy=true]"));
}

test("the operators' words: no English state name and no setting name on any Spanish page", async () => {
  const today = new Date().toISOString().slice(0, 10);
  await app.api("POST", "/api/v1/reports", token, { report_type: "bounces", start_date: today, end_date: today });
  const english = /\b(importing|ready_with_errors|import_failed|scheduled|queued|sending|paused|done_with_errors|cancelled|not_started|send_failed|current_month|monthly|PENDING|PROCESSING|READY|running|deliveries|bounces|default|analytics)\b/;
  const setting = /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/;
  for (const path of await everyPage()) {
    await open(path);
    const visible = await page.evaluate(() => document.querySelector("main").innerText);
    const word = visible.match(english);
    check(!word, `${path}: no English state name (${word?.[0] ?? "none"})`);
    // "Sistema" names the setting to fix: that is its purpose, for superusers.
    if (path !== "/sistema") {
      const name = visible.match(setting);
      check(!name, `${path}: no setting name on screen (${name?.[0] ?? "none"})`);
    }
    const title = await page.title();
    check(title.endsWith("· Relay Console") && !title.startsWith("Relay Console"), `${path}: the tab names the page (${title})`);
  }
});

test("the phone: no page wider than 390 px, 44 px tap targets; the desktop sidebar reaches the bottom", async () => {
  const paths = await everyPage();
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const path of paths) {
      await open(path);
      const [wide, culprits] = await page.evaluate(() => [document.documentElement.scrollWidth,
        [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 391 && e.offsetParent !== null)
          .slice(-3).map((e) => `${e.tagName}.${e.className}: ${e.textContent.trim().slice(0, 40)}`)]);
      check(wide <= 390, `${path}: ${wide} px wide at a 390 px screen ${culprits.join(" | ")}`);
      const small = await page.$$eval("main button, main select, main input:not([type=checkbox]):not([type=radio]):not([type=hidden]), main a.button",
        (els) => els.filter((e) => e.offsetParent !== null && !e.closest(".visually-hidden") && getComputedStyle(e).opacity !== "0")
          .map((e) => [e.getBoundingClientRect().height, e.textContent.trim().slice(0, 30) || e.name || e.tagName])
          .filter(([h]) => h < 43.5));
      check(small.length === 0, `${path}: every control is at least 44 px tall (${JSON.stringify(small.slice(0, 3))})`);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
  await open("/auditoria?pestana=registro");
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  const gap = await page.evaluate(() => window.innerHeight - document.querySelector(".sidebar").getBoundingClientRect().bottom);
  check(gap <= 1, `the sidebar reaches the bottom of a long page (${gap} px short)`);
});

test("a template editor asks before losing changes; template search ignores accents; a group's count follows", async () => {
  await page.goto(app.base + "/plantillas");
  await page.fill("input[type=search]", "notificacion");
  await page.press("input[type=search]", "Enter");
  await page.waitForSelector("table.data a:has-text('Aviso legal de mora')");
  check((await page.$$eval("table.data tbody tr", (trs) => trs.length)) === 1, "'notificacion' finds 'Notificación de proceso de cobro'");

  await page.click("table.data a:has-text('Aviso legal de mora')");
  await page.waitForSelector("input[name=subject]");
  await page.fill("input[name=subject]", "Cambio sin guardar");
  const asked = [];
  page.once("dialog", (d) => { asked.push(d.message()); d.dismiss(); });
  await page.click("nav a:has-text('Envíos')");
  check(asked[0]?.includes("cambios sin guardar") && page.url().includes("/plantillas/"), "leaving with changes asks, and 'Cancelar' stays");
  page.once("dialog", (d) => d.accept());
  await page.click("nav a:has-text('Envíos')");
  await page.waitForURL(/\/envios$/);
  check(page.url().endsWith("/envios"), "accepting leaves");

  // A member added in "Usuarios" counts at once in "Grupos".
  const groups = await app.api("GET", "/api/v1/groups", token);
  const operators = groups.find((g) => g.name === "Operadores UI");
  await page.goto(app.base + "/usuarios?pestana=grupos");
  const before = await page.textContent(`[data-testid='group-Operadores UI'] h2`);
  const users = await app.api("GET", "/api/v1/users?q=operadora", token);
  await page.click("[role=tab]:has-text('Usuarios')");
  await app.api("PUT", `/api/v1/users/${users.items[0].id}/groups`, token, { group_ids: [operators.id] });
  await page.click("[role=tab]:has-text('Grupos')");
  await page.waitForFunction((b) => document.querySelector("[data-testid='group-Operadores UI'] h2")?.textContent !== b, before);
  check((await page.textContent(`[data-testid='group-Operadores UI'] h2`)).includes("1 miembro"), "the group's member count follows");
});

test("axe-core finds nothing serious or critical on any page, at a desktop and on a phone, nor on sign-in", async () => {
  // Every page is looked at before the verdict, so one run lists everything to fix.
  const found = [];
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 1280 ? 900 : 844 });
    for (const path of await everyPage()) {
      await open(path);
      for (const problem of await accessibilityProblems(page)) found.push(`${path} at ${width} px: ${problem}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const stranger = await (await chrome.newContext()).newPage();
  await stranger.goto(app.base + "/login");
  await stranger.waitForSelector("input[name=username]");
  for (const problem of await accessibilityProblems(stranger)) found.push(`/login: ${problem}`);
  await stranger.close();
  check(found.length === 0, `every page, both widths and sign-in: ${found.length ? "\n" + found.join("\n") : "no serious problem"}`);
});

test("switching language keeps what is half-typed, on any page", async () => {
  await page.goto(app.base + "/mensajes/nuevo");
  await page.fill("input[name=subject]", "Recordatorio de pago");
  await page.fill("textarea[name=html]", "<p>Estimado cliente</p>");
  await page.click(".lang button[lang=en]");
  await page.waitForSelector("h1:has-text('New message')");
  await page.waitForFunction(() => document.querySelector("input[name=subject]")?.value === "Recordatorio de pago");
  check(await page.inputValue("textarea[name=html]") === "<p>Estimado cliente</p>", "the message's subject and body stay through the switch to English");
  await page.click(".lang button[lang=es]");
  await page.waitForSelector("h1:has-text('Nuevo mensaje')");
  await page.waitForFunction(() => document.querySelector("input[name=subject]")?.value === "Recordatorio de pago");
  check(await page.inputValue("textarea[name=html]") === "<p>Estimado cliente</p>", "and back to Spanish");

  await page.goto(app.base + "/plantillas/nueva");
  await page.fill("input[name=name]", "Aviso a medio escribir");
  await page.click(".lang button[lang=en]");
  await page.waitForSelector("h1:has-text('New template')");
  await page.waitForFunction(() => document.querySelector("input[name=name]")?.value === "Aviso a medio escribir", null, { timeout: 5000 }).catch(() => {});
  check(await page.inputValue("input[name=name]") === "Aviso a medio escribir", "a template's half-typed name stays too");
  await page.click(".lang button[lang=es]");
  await page.waitForSelector("h1:has-text('Nueva plantilla')");
  await page.waitForFunction(() => document.querySelector("input[name=name]")?.value === "Aviso a medio escribir");
  // Emptied again, so leaving asks nothing.
  await page.fill("input[name=name]", "");
});

test("screenshots of every page at both widths", async () => {
  for (const path of await everyPage()) {
    await open(path);
    // A rendered e-mail is a frame of its own: drawn before the picture is taken.
    for (const frame of page.frames()) await frame.waitForLoadState();
    // /envios/12?pestana=reporte -> page-envios-detalle-reporte
    const [route, tab] = path.split("?pestana=");
    const parts = route.split("/").filter(Boolean).map((p, i) => (i > 0 && !["nuevo", "nueva"].includes(p) ? "detalle" : p));
    const name = ["page", ...parts, ...(tab ? [tab] : [])].join("-");
    await shoot(page, name);
    check(existsSync(join(screenshots, `${name}-390.png`)) && existsSync(join(screenshots, `${name}-1280.png`)), `${path} is in target/screenshots at 1280 and 390 px`);
  }
});
