// The bulk-send workflow in the browser against the real server and the simulator:
// create a send from the production sample with preview and column mapping, watch it
// finish, read its campaign report and download its CSVs; pause and resume a slow one;
// settle ambiguous recipients; schedule, cancel and queue by hand; and a viewer sees no
// action and gets 403 on the form.
import { test, before, after } from "node:test";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { world, signIn, check, shows, shoot, root } from "./harness.mjs";

let w, sim, app, chrome, page, token;

before(async () => {
  w = await world({ sim: true, env: { SEND_RATE_PER_SECOND: "5", DOPPLER_RELAY_TIMEOUT: "2", MANUAL_REPORT_REFRESH_MIN: "0" } });
  ({ sim, app, chrome, page, token } = w);
});
after(() => w?.stop());

const templateId = async () => {
  const list = await app.api("GET", "/api/v1/templates?q=Descuento", token);
  return list.items[0].id;
};

async function createByApi(csv, fields = {}) {
  const form = new FormData();
  form.append("recipients_file", new Blob([csv], { type: "text/csv" }), "e2e.csv");
  form.append("template_id", await templateId());
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const r = await fetch(app.base + "/api/v1/bulk-sends", { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${await r.text()}`);
  return r.json();
}

function deudaRows(n) {
  let csv = "email;identificacion;nombres;deuda;descuento;total_a_pagar\n";
  for (let i = 1; i <= n; i++) csv += `cliente${i}@example.com;09${String(i).padStart(8, "0")};Cliente ${i};${100 + i};10;${90 + i}\n`;
  return csv;
}

const badge = (text) => page.waitForSelector(`h1 .badge:has-text("${text}")`, { timeout: 60000 });

test("an operator creates a send from the sample with mapping and preview, watches it finish and reads its report", async () => {
  // The production sample, its "nombres" column renamed: the form must map it.
  // The production sample (a copy of ../shared/samples/recipients/variables_deuda.csv).
  const sample = readFileSync(join(root, "api/tests/fixtures/recipients/variables_deuda.csv"), "utf8").replace("nombres", "cliente");
  const file = join(mkdtempSync(join(tmpdir(), "relay-e2e-csv-")), "variables_deuda.csv");
  writeFileSync(file, sample);

  await page.click("nav a:has-text('Nuevo envío')");
  await page.waitForSelector("h1:has-text('Nuevo envío')");
  await page.fill("input[aria-controls=template-options]", "Descuento");
  await page.click(".option:has-text('Descuento en su deuda')");
  await page.waitForSelector("[data-testid=chosen-template]");
  check((await page.inputValue("input[name=subject]")) === "Descuento en su deuda", "choosing a template fills the subject");

  await page.setInputFiles("input[name=recipients_file]", file);
  await page.waitForSelector("[data-testid=csv-preview]");
  check((await page.inputValue("[data-testid=email-column]")) === "email", "the preview names the detected e-mail column, and it can be changed");
  await page.waitForSelector("[data-testid=missing-variables]");
  check((await page.textContent("[data-testid=valid-rows]")).trim() === "3", "a column the template needs is the mapping's business: no row is marked for it");
  check((await page.textContent("[data-testid=missing-variables]")).includes("nombres"), "a variable no column provides is shown before anything is created");
  check((await page.locator("[data-testid=problem-rows] li").count()) === 0, "no row is listed as missing values before the mapping step");
  await shoot(page, "new-send");

  await page.selectOption("label.missing select", "cliente");
  await page.waitForSelector("[data-testid=missing-variables]", { state: "detached" });
  await shows(page, "[data-testid=valid-rows]:text-is('3')", "mapping the column to the variable clears the check and the three rows become valid");

  await page.click(".user-menu button[lang=en]");
  await page.waitForSelector("h1:has-text('New send')");
  check((await page.textContent("[data-testid=valid-rows]")).trim() === "3" && (await page.isVisible("[data-testid=chosen-template]")),
    "switching language keeps the half-filled form (template, file, mapping)");
  await page.click(".user-menu button[lang=es]");
  await page.waitForSelector("h1:has-text('Nuevo envío')");

  await page.click("button:has-text('Vista previa')");
  const frame = await (await page.waitForSelector("iframe[data-testid=template-preview]")).contentFrame();
  await frame.waitForSelector("h2");
  const firstRow = await frame.textContent("h2");
  check(firstRow.includes("Nombre Apellido"), "'Vista previa' renders the template with the first row, mapped");
  check((await page.textContent("[data-testid=rendered-subject]")).includes("Descuento en su deuda")
    && (await page.textContent(".dialog .email-head")).includes("cobranzas@example.com"), "the preview shows the subject and the From");
  check((await page.getAttribute("iframe[data-testid=template-preview]", "sandbox")) === "", "the preview runs in a sandboxed frame");
  const firstTo = await page.textContent("[data-testid=rendered-to]");
  await page.click(".dialog button:has-text('Fila siguiente')");
  await page.waitForFunction((before) => document.querySelector("[data-testid=rendered-to]")?.textContent !== before, firstTo);
  check((await page.textContent(".row-stepper")).includes("2 de 3"), "'Fila siguiente' steps to the next row");
  await page.click(".dialog button:has-text('Cerrar')");

  await page.click("button:has-text('Revisar y enviar')");
  const review = await page.waitForSelector("[data-testid=review]");
  const reviewed = await review.textContent();
  check(reviewed.includes("Descuento en su deuda") && reviewed.includes("variables_deuda.csv") && reviewed.includes("cobranzas@example.com"),
    "'Revisar y enviar' shows the template, the file and the From before anything is created");
  check((await page.textContent("[data-testid=review-when]")).includes("Ahora"), "and says it goes out right away");
  check((await app.api("GET", "/api/v1/bulk-sends?period=all", token)).total === 0, "nothing is created by reviewing");
  await shoot(page, "new-send-review");
  await page.dblclick("[data-testid=confirm-send]:has-text('Enviar 3 correos')");
  await page.waitForURL(/\/envios\/\d+$/);
  const id = Number(page.url().split("/").pop());
  const all = await app.api("GET", "/api/v1/bulk-sends?period=all", token);
  check(all.total === 1, "a double click creates one send");
  await badge("terminado");
  check((await page.textContent(".legend")).includes("Enviados 3"), "the progress reaches all three sent without a manual refresh");
  const spoken = await page.textContent("main p[role=status][aria-live=polite]");
  check(/Progreso: 100\s?%.*terminado/.test(spoken), `a screen reader hears the progress and the state (${spoken})`);
  await page.waitForFunction(() => document.querySelectorAll("table.data .badge.tone-green").length >= 6);
  check((await page.locator("table.data td[data-label='Estado de envío'] .badge:has-text('enviado')").count()) === 3,
    "the recipients table follows: every row says 'enviado'");
  await shoot(page, "send-detail");

  await page.click("button[role=tab]:has-text('Historial')");
  await page.waitForSelector("[data-testid=timeline]");
  const timeline = await page.textContent("[data-testid=timeline]");
  check(["Creado e importado", "Envío iniciado", "Terminado"].every((e) => timeline.includes(e)), "the history shows creation, start and end");

  // The tabs the WAI-ARIA way: only the chosen tab is in the tab order, the arrows move.
  const tabState = () => page.evaluate(() => ({
    focused: document.activeElement?.textContent?.trim(),
    selected: document.querySelector("[role=tab][aria-selected=true]")?.textContent?.trim(),
    inOrder: [...document.querySelectorAll("[role=tab]")].filter((t) => t.tabIndex === 0).length,
    panel: document.querySelector("[role=tabpanel]")?.getAttribute("aria-labelledby"),
    selectedId: document.querySelector("[role=tab][aria-selected=true]")?.id,
  }));
  await page.focus("[role=tab][aria-selected=true]");
  await page.keyboard.press("Home");
  await page.waitForURL((u) => u.searchParams.get("pestana") === "destinatarios");
  let tabs = await tabState();
  check(tabs.focused === "Destinatarios" && tabs.selected === "Destinatarios" && tabs.inOrder === 1,
    `Home goes to the first tab and shows it, one tab in the tab order (${JSON.stringify(tabs)})`);
  await page.keyboard.press("ArrowRight");
  await page.waitForURL((u) => u.searchParams.get("pestana") === "contenido");
  tabs = await tabState();
  check(tabs.focused === "Contenido" && tabs.panel === tabs.selectedId, `the right arrow moves to 'Contenido', the panel labelled by it (${JSON.stringify(tabs)})`);
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("ArrowLeft");
  await page.waitForURL((u) => u.searchParams.get("pestana") === "historial");
  tabs = await tabState();
  check(tabs.focused === "Historial", `the left arrow wraps from the first tab to the last (${JSON.stringify(tabs)})`);

  await page.click("button[role=tab]:has-text('Reporte')");
  await shows(page, ".cards.big", "the campaign report appears by itself once the post-send report is loaded", { timeout: 90000 });
  check((await page.textContent(".cards.big")).includes("Entregados"), "the report shows delivered as a big number");
  check(await page.isVisible("figure.chart svg"), "the report draws its charts as SVG");
  await shoot(page, "campaign-report");
  const saved = async (button) => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    return { name: download.suggestedFilename(), text: readFileSync(await download.path(), "utf8") };
  };
  const sendCsv = await saved("button:has-text('Descargar CSV del envío')");
  check(sendCsv.name === `envio-${id}-reporte.csv` && sendCsv.text.includes("@"), "the send's rows of the report download as CSV");
  await page.click("button:has-text('Actualizar reporte')");
  await shows(page, ".toast:has-text('Reporte solicitado')", "'Actualizar reporte' asks Doppler for a fresh report");
  await page.click("button[role=tab]:has-text('Destinatarios')");
  const recipientsCsv = await saved("button:has-text('Exportar CSV')");
  check(recipientsCsv.text.split("\n").filter((l) => l.includes("@")).length === 3, "'Exportar CSV' saves the three recipients");

  await page.click("nav a:has-text('Envíos')");
  await page.waitForSelector(`table.data a:has-text("${id}")`);
  check((await page.textContent(".cards")).includes("Terminados"), "the list shows its cards");
  await shoot(page, "send-list");
});

test("a slow send is paused and resumed from its page", async () => {
  await sim.faults({ latency_ms: 300 });
  const send = await createByApi(deudaRows(120), { send_now: "true" });
  await page.goto(`${app.base}/envios/${send.id}`);
  await page.click("button:has-text('Pausar')");
  await badge("pausado");
  check(await page.isVisible("[data-testid=pause-reason]"), "a paused send says why");
  // Resumed at once: the batch in flight when the pause came may still be finishing; the
  // API adopts that run, so the first answer is the good one.
  const [resumed] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/api/v1/bulk-sends/${send.id}/resume`)),
    page.click("button:has-text('Reanudar')"),
  ]);
  check(resumed.status() === 200, `resuming right after pausing is taken at once, no 409 to wait out (${resumed.status()})`);
  await badge("terminado");
  const done = await app.api("GET", `/api/v1/bulk-sends/${send.id}`, token);
  check(done.counts.sent === 120, "after resuming every recipient is sent");
  const messages = await (await fetch(sim.base + "/_sim/messages")).json();
  const to = messages.filter((m) => m.recipient.startsWith("cliente")).map((m) => m.recipient);
  check(to.length === 120 && new Set(to).size === 120, "Doppler received each of the 120 exactly once");
  await sim.faults({});
});

test("ambiguous recipients are explained and settled one by one or all together", async () => {
  await sim.faults({ rate_timeout: 1, sends_only: true });
  const send = await createByApi(deudaRows(3), { send_now: "true" });
  await page.goto(`${app.base}/envios/${send.id}`);
  await page.waitForSelector("[data-testid=ambiguous-callout]", { timeout: 60000 });
  await sim.faults({});
  check((await page.textContent("[data-testid=ambiguous-callout]")).includes("No sabemos si estos mensajes salieron"), "the callout explains what ambiguous means");
  await shoot(page, "ambiguous");
  await page.selectOption("[data-testid=send-status-filter]", "ambiguous");
  await page.click("table.data button:has-text('Marcar enviado') >> nth=0");
  await shows(page, ".toast:has-text('1 destinatario resuelto')", "one ambiguous recipient is marked sent from its row");
  await page.click("[data-testid=ambiguous-callout] button:has-text('Reenviar todos')");
  await page.click(".dialog button:has-text('Confirmar')");
  await page.waitForSelector(".toast:has-text('2 destinatarios resueltos')");
  await page.waitForSelector("[data-testid=ambiguous-callout]", { state: "detached", timeout: 60000 });
  const after = await app.api("GET", `/api/v1/bulk-sends/${send.id}`, token);
  check(after.counts.ambiguous === 0 && after.counts.sent >= 1, "the rest are resent and nothing stays ambiguous");
});

test("a send scheduled in the form waits for its local time, and a ready one is queued by hand", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "relay-e2e-csv-")), "programado.csv");
  writeFileSync(file, deudaRows(2));
  await page.goto(app.base + "/envios/nuevo");
  await page.fill("input[aria-controls=template-options]", "Descuento");
  await page.click(".option:has-text('Descuento en su deuda')");
  await page.setInputFiles("input[name=recipients_file]", file);
  await page.waitForSelector("[data-testid=valid-rows]:text-is('2')");
  // Tomorrow 08:30 on the office's clock (TIME_ZONE), as an operator types it.
  const tomorrow = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Guayaquil" }).format(new Date(Date.now() + 86400000));
  await page.fill("input[name=scheduled_at]", `${tomorrow}T08:30`);
  check(await page.isDisabled("input[name=send_now]"), "scheduling turns off 'Enviar ahora'");
  await page.click("button:has-text('Revisar y enviar')");
  const confirm = await page.waitForSelector("[data-testid=confirm-send]");
  check((await confirm.textContent()).includes(`Programar para el ${tomorrow} 08:30`), "the last step's button says when it will go out");
  await confirm.click();
  await page.waitForURL(/\/envios\/\d+$/);
  await badge("programado");
  const id = Number(page.url().split("/").pop());
  const send = await app.api("GET", `/api/v1/bulk-sends/${id}`, token);
  check(send.scheduled_at === `${tomorrow}T13:30:00Z`, `08:30 in America/Guayaquil is stored as 13:30 UTC (${send.scheduled_at})`);
  await page.click(".page-head button:has-text('Cancelar envío')");
  await page.waitForSelector(".dialog");
  const focused = await page.evaluate(() => document.activeElement?.textContent.trim());
  check(focused === "Volver", `the cancel dialog puts the focus on the safe choice ("${focused}")`);
  await page.click(".dialog button:has-text('Cancelar envío')");
  await badge("cancelado");
  check((await page.textContent(".legend")).includes("No enviados 2"), "'Cancelar envío' asks first, then cancels: what never went out says 'No enviados'");

  const ready = await createByApi(deudaRows(1));
  await page.goto(`${app.base}/envios/${ready.id}`);
  await badge("listo");
  await page.click("button:has-text('Encolar envío')");
  await shows(page, 'h1 .badge:has-text("terminado")', "'Encolar envío' sends a ready send", { timeout: 60000 });
});

test("a viewer sees sends but no action, and the form answers 403", async () => {
  await app.api("POST", "/api/v1/users", token, { username: "lectora", password: "lectura-segura-1", permissions: ["bulk_sends.view"] });
  const context = await chrome.newContext();
  const viewer = await context.newPage();
  await signIn(viewer, app.base, "lectora", "lectura-segura-1");
  await viewer.waitForSelector("table.data");
  check(!(await viewer.isVisible("a:has-text('Nuevo envío')")), "a viewer sees no 'Nuevo envío'");
  await viewer.click("table.data td a >> nth=0");
  await viewer.waitForSelector("h1 .badge");
  check((await viewer.locator(".page-head .actions button").count()) === 0, "a viewer sees no action buttons on a send");
  await viewer.goto(app.base + "/envios/nuevo");
  await viewer.waitForSelector("[data-testid=forbidden]");
  check(await viewer.isVisible("text=No tienes permiso"), "a viewer opening the form's URL gets the 403 page");
  await shoot(viewer, "forbidden");
  await context.close();
});
