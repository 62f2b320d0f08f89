// Single messages and attachments: a file is uploaded in "Adjuntos" and downloaded back; a
// message goes out with cc, bcc and that file, shows in the history and its search; an
// attachment in use cannot be deleted, an unused one can; an ambiguous message is explained
// and settled (marked sent, or resent). Then "Remitentes": an identity is given to a user,
// edited, deactivated and deleted; and an admin revokes another user's API token.
import { test, before, after } from "node:test";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { world, signIn, check, shows, shoot } from "./harness.mjs";

let w, app, sim, chrome, page, token;
// Doppler's answer is waited for 2 s, so a send the simulator never answers turns ambiguous quickly.
before(async () => {
  w = await world({ sim: true, env: { DOPPLER_RELAY_TIMEOUT: "2" } });
  ({ app, sim, chrome, page, token } = w);
});
after(() => w?.stop());

const dir = mkdtempSync(join(tmpdir(), "relay-e2e-files-"));
const file = (name, text) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const received = async () => (await (await fetch(sim.base + "/_sim/messages")).json());

test("an attachment is uploaded, listed and downloaded", async () => {
  await page.click("nav a:has-text('Adjuntos')");
  await page.waitForSelector("h1:has-text('Adjuntos')");
  await page.setInputFiles("input[name=upload]", [file("estado-de-cuenta.pdf", "%PDF-1.4 estado de cuenta"), file("sin-usar.txt", "nada")]);
  await page.waitForSelector("[data-testid='attachment-estado-de-cuenta.pdf']");
  await page.waitForSelector("[data-testid='attachment-sin-usar.txt']");
  for (const name of ["estado-de-cuenta.pdf", "sin-usar.txt"]) {
    check((await page.textContent(`[data-testid='attachment-${name}']`)).includes("admin"), `${name} is listed with who uploaded it`);
  }
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("[data-testid='attachment-estado-de-cuenta.pdf'] button:has-text('Descargar')"),
  ]);
  check(download.suggestedFilename() === "estado-de-cuenta.pdf", "'Descargar' saves the file under its own name");
  check(readFileSync(await download.path(), "utf8") === "%PDF-1.4 estado de cuenta", "and the bytes are the ones uploaded");
  await shoot(page, "attachments");
});

test("a message goes out with cc, bcc and an attachment, and is found in the history", async () => {
  await page.click("nav a:has-text('Mensajes')");
  await page.click("a:has-text('Nuevo mensaje')");
  await page.fill("[data-testid=new-message] input[name=to]", "cliente1@example.com, cliente2@example.com");
  await page.fill("[data-testid=new-message] input[name=cc]", "supervisor@example.com");
  await page.fill("[data-testid=new-message] input[name=bcc]", "archivo@example.com");
  await page.fill("[data-testid=new-message] input[name=subject]", "Su estado de cuenta");
  await page.fill("[data-testid=new-message] textarea[name=html]", "<h1>Estado de cuenta</h1><p>Adjuntamos su estado.</p>");
  const frame = await (await page.waitForSelector("iframe[data-testid=message-preview]")).contentFrame();
  await shows(frame, "h1:has-text('Estado de cuenta')", "the HTML shows rendered beside the form while it is typed");
  const earlier = page.locator("select[name=earlier_attachment] option", { hasText: "estado-de-cuenta.pdf" });
  await page.selectOption("select[name=earlier_attachment]", await earlier.getAttribute("value"));
  await page.waitForSelector("[data-testid=chosen-attachments] li:has-text('estado-de-cuenta.pdf')");
  await shoot(page, "message-new");
  await page.click("button:has-text('Enviar')");
  await page.waitForURL(/\/mensajes\/\d+$/);
  await page.waitForSelector(".badge:has-text('enviado')");
  check((await page.textContent("dl.facts")).includes("supervisor@example.com"), "the message page shows the copy recipients");
  await shows(page, "ul.chips button:has-text('estado-de-cuenta.pdf')", "and the attachment by name");
  await shoot(page, "message-detail");
  const sent = (await received()).find((m) => m.subject === "Su estado de cuenta");
  check(sent && ["cliente1@example.com", "cliente2@example.com"].every((a) => sent.recipients.includes(a)), "Doppler received the message for both recipients");
  check(sent.attachments.length === 1, "with its attachment");

  await app.api("POST", "/api/v1/messages", token, { to: ["otro@example.com"], subject: "Otro asunto", html: "<p>otro</p>" });
  await page.click(".crumbs a:has-text('Mensajes')");
  await page.waitForSelector("table.data td:has-text('Otro asunto')");
  await shoot(page, "messages");
  await page.fill("input[type=search]", "estado de cuenta");
  await page.press("input[type=search]", "Enter");
  await page.waitForURL(/q=estado/);
  await page.waitForSelector("table.data td:has-text('Su estado de cuenta')");
  check((await page.locator("table.data tbody tr").count()) === 1, "the history's search finds the message and leaves the other out");
  await page.selectOption("select:has(option[value=ambiguous])", "ambiguous");
  await shows(page, ".empty", "and the state filter leaves it out when it does not match");
});

test("a message takes at most 10 attachments: past them the picker offers nothing and says why", async () => {
  for (let n = 1; n <= 10; n++) {
    const form = new FormData();
    form.append("file", new Blob([`anexo ${n}`]), `anexo-${n}.txt`);
    const r = await fetch(app.base + "/api/v1/attachments", { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    check(r.status === 201, `anexo-${n}.txt uploaded (${r.status})`);
  }
  await page.goto(app.base + "/mensajes/nuevo");
  for (let n = 1; n <= 10; n++) {
    const option = page.locator("select[name=earlier_attachment] option", { hasText: `anexo-${n}.txt` });
    await page.selectOption("select[name=earlier_attachment]", await option.getAttribute("value"));
    await page.waitForSelector(`[data-testid=chosen-attachments] li:has-text('anexo-${n}.txt')`);
  }
  await page.waitForSelector("[data-testid=attachments-full]");
  check((await page.textContent("[data-testid=attachments-full]")).includes("10 adjuntos"), "the picker says ten is the most one e-mail carries");
  check(await page.isDisabled("select[name=earlier_attachment]") && await page.isDisabled("input[name=attachment]"), "and offers no eleventh");
  await page.click("[data-testid=chosen-attachments] li:has-text('anexo-10.txt') button");
  await page.waitForSelector("[data-testid=attachments-full]", { state: "detached" });
  check(await page.isEnabled("select[name=earlier_attachment]"), "removing one makes room again");
});

test("an attachment a message uses is not deleted; an unused one is", async () => {
  await page.click("nav a:has-text('Adjuntos')");
  await page.click("[data-testid='attachment-estado-de-cuenta.pdf'] button:has-text('Eliminar')");
  await page.click(".dialog button:has-text('Eliminar')");
  await page.waitForSelector(".toast.error");
  check(await page.isVisible("[data-testid='attachment-estado-de-cuenta.pdf']"), "the API's refusal is shown and the file stays");
  await page.click("[data-testid='attachment-sin-usar.txt'] button:has-text('Eliminar')");
  await page.click(".dialog button:has-text('Eliminar')");
  await shows(page, "[data-testid='attachment-sin-usar.txt']", "an unused file is deleted after the confirm", { state: "detached" });
});

// The simulator takes these sends and never answers: they did go out, which is exactly what
// the operator cannot know without looking in Doppler.
async function ambiguousMessage(subject) {
  await sim.faults({ rate_timeout: 1, sends_only: true });
  await page.goto(app.base + "/mensajes/nuevo");
  await page.fill("[data-testid=new-message] input[name=to]", "dudoso@example.com");
  await page.fill("[data-testid=new-message] input[name=subject]", subject);
  await page.fill("[data-testid=new-message] textarea[name=html]", "<p>Recordatorio de pago</p>");
  await page.click("button:has-text('Enviar')");
  await page.waitForSelector("[data-testid=message-ambiguous]", { timeout: 30000 });
  await sim.faults({});
}
const copies = async (subject) => (await received()).filter((m) => m.subject === subject).length;

test("an ambiguous message is explained, then marked sent or resent on decision", async () => {
  await ambiguousMessage("Recordatorio 1");
  check((await page.textContent("[data-testid=message-ambiguous]")).includes("No sabemos si este mensaje salió"), "the page says it may have gone out and what to do");
  await shoot(page, "message-ambiguous");
  await page.click("[data-testid=message-ambiguous] button:has-text('Marcar enviado')");
  await page.click(".dialog button:has-text('Marcar enviado')");
  await page.waitForSelector(".badge:has-text('enviado')");
  check(!(await page.isVisible("[data-testid=message-ambiguous]")) && (await copies("Recordatorio 1")) === 1,
    "'Marcar enviado' settles it without sending again");

  await ambiguousMessage("Recordatorio 2");
  await page.click("[data-testid=message-ambiguous] button:has-text('Reenviar')");
  await page.click(".dialog button:has-text('Reenviar')");
  await page.waitForSelector(".badge:has-text('enviado')");
  check(!(await page.isVisible("[data-testid=message-ambiguous]")), "'Reenviar' sends it and nothing is left to decide");
  check((await copies("Recordatorio 2")) === 2, "Doppler got it a second time (the first had gone out: the reason the choice is the operator's)");
});

test("a sender identity is given to a user, edited, deactivated and deleted", async () => {
  await app.api("POST", "/api/v1/users", token, { username: "cobradora", password: "cobradora-segura-1" });
  await page.click("nav a:has-text('Remitentes')");
  check((await page.textContent("[data-testid=default-sender]")).includes("cobranzas@example.com"), "the deployment's default sender is named");
  await page.click("button:has-text('Nuevo remitente')");
  await page.selectOption("[data-testid=new-sender] select[name=user_id]", { label: "cobradora" });
  await page.fill("[data-testid=new-sender] input[name=from_email]", "cobradora@example.com");
  await page.fill("[data-testid=new-sender] input[name=from_name]", "Cobranzas Norte");
  await page.click("button:has-text('Crear remitente')");
  const row = "[data-testid='sender-cobradora@example.com']";
  await page.waitForSelector(row);
  check((await page.textContent(row)).includes("cobradora"), "the identity is listed with its user");
  const theirs = () => app.token("cobradora", "cobradora-segura-1").then((t) => app.api("GET", "/api/v1/senders/me", t));
  check((await theirs()).effective_from_email === "cobradora@example.com", "the user's sends now go out from it");
  await shoot(page, "senders");
  await page.click(`${row} button:has-text('Editar')`);
  await page.fill("[data-testid=edit-sender] input[name=from_name]", "Cobranzas Sur");
  await page.uncheck("[data-testid=edit-sender] input[name=sender_active]");
  await page.click("[data-testid=edit-sender] button:has-text('Guardar')");
  await page.waitForSelector(`${row} .badge:has-text('inactivo')`);
  check((await page.textContent(row)).includes("Cobranzas Sur"), "an edit changes the name and deactivates it");
  check((await theirs()).effective_from_email === "cobranzas@example.com", "an inactive identity is not used: the user's sends use the default");
  await page.click(`${row} button:has-text('Eliminar')`);
  await page.click(".dialog button:has-text('Eliminar')");
  await page.waitForSelector(row, { state: "detached" });
  check((await theirs()).sender === null, "deleting asks first and removes it");
});

test("an admin sees another user's API tokens and revokes one", async () => {
  const theirs = await app.token("cobradora", "cobradora-segura-1");
  const created = await app.api("POST", "/api/v1/tokens", theirs, { name: "script de cartera", password: "cobradora-segura-1" });
  const asScript = () => fetch(app.base + "/api/v1/senders/me", { headers: { authorization: `Bearer ${created.secret}` } });
  check((await asScript()).status === 200, "the user's script works with its token");
  await page.click("nav a:has-text('Usuarios y grupos')");
  await page.click("[data-testid=user-cobradora] button:has-text('Editar')");
  await page.waitForSelector("[data-testid=user-tokens] td:has-text('script de cartera')");
  await page.click("[data-testid=user-tokens] button:has-text('Revocar')");
  await page.click(".dialog button:has-text('Revocar')");
  await page.waitForSelector("[data-testid=user-tokens] td:has-text('revocado')");
  check((await asScript()).status === 401, "the revoked token no longer opens the API");
});

test("someone who sends messages is not offered deleting another user's file", async () => {
  await app.api("POST", "/api/v1/users", token, { username: "mensajera", password: "mensajera-segura-1", permissions: ["messages.send"] });
  const context = await chrome.newContext();
  const sender = await context.newPage();
  await signIn(sender, app.base, "mensajera", "mensajera-segura-1");
  await sender.click("nav a:has-text('Adjuntos')");
  const row = "[data-testid='attachment-estado-de-cuenta.pdf']";
  await sender.waitForSelector(row);
  check(await sender.isVisible(`${row} button:has-text('Descargar')`), "they may download the admin's file");
  check(!(await sender.isVisible(`${row} button:has-text('Eliminar')`)), "but no 'Eliminar' is offered on it (the API would refuse)");
  check(await sender.isVisible("label:has-text('Subir adjunto')"), "and they may upload their own");
  await sender.goto(app.base + "/mensajes/nuevo");
  await sender.waitForSelector("select[name=sender_id] option:has-text('Mi remitente')", { state: "attached" });
  check((await sender.textContent("select[name=sender_id] option >> nth=0")).includes("cobranzas@example.com"),
    "without an identity of their own, 'Mi remitente' names the default they will send from");
  await context.close();
});

test("someone with senders.manage alone finds the owner by name and gives an identity", async () => {
  await app.api("POST", "/api/v1/users", token, { username: "remitentes", password: "remitentes-seguro-1", permissions: ["senders.manage"] });
  await app.api("POST", "/api/v1/users", token, { username: "rosa.m", password: "rosa-segura-12", first_name: "Rosa", last_name: "Mendoza" });
  const context = await chrome.newContext();
  const manager = await context.newPage();
  const errors = [];
  manager.on("pageerror", (e) => errors.push(e.message));
  await signIn(manager, app.base, "remitentes", "remitentes-seguro-1");
  await manager.click("nav a:has-text('Remitentes')");
  await manager.click("button:has-text('Nuevo remitente')");
  await manager.fill("[data-testid=new-sender] input[name=user_q]", "mendoza");
  const offered = () => manager.$$eval("[data-testid=new-sender] select[name=user_id] option", (os) => os.map((o) => o.textContent).join("|"));
  await manager.waitForFunction(() => document.querySelectorAll("[data-testid=new-sender] select[name=user_id] option").length === 2);
  check(await offered() === "—|rosa.m (Rosa Mendoza)", `searching 'mendoza' offers only Rosa, by username and name (${await offered()})`);
  await manager.selectOption("[data-testid=new-sender] select[name=user_id]", { label: "rosa.m (Rosa Mendoza)" });
  await manager.fill("[data-testid=new-sender] input[name=from_email]", "rosa@example.com");
  await manager.fill("[data-testid=new-sender] input[name=from_name]", "Rosa Mendoza");
  await manager.click("button:has-text('Crear remitente')");
  await manager.waitForSelector("[data-testid='sender-rosa@example.com']");
  const rosa = await app.token("rosa.m", "rosa-segura-12");
  check((await app.api("GET", "/api/v1/senders/me", rosa)).effective_from_email === "rosa@example.com", "Rosa's sends now go out from it");
  await manager.click("button:has-text('Nuevo remitente')");
  await manager.fill("[data-testid=new-sender] input[name=user_q]", "mendoza");
  await manager.waitForSelector("[data-testid=new-sender] p:has-text('Ningún usuario activo sin remitente coincide')");
  check(await offered() === "—", `once she has one, she is no longer offered, and the form says why the list is empty (${await offered()})`);
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
  await context.close();
});

test("a user without messages.send or senders.manage sees neither page", async () => {
  await app.api("POST", "/api/v1/users", token, { username: "visor", password: "visor-seguro-1", permissions: ["bulk_sends.view"] });
  const context = await chrome.newContext();
  const viewer = await context.newPage();
  await signIn(viewer, app.base, "visor", "visor-seguro-1");
  const links = (await viewer.locator("nav#nav-links ul a").allTextContents()).map((s) => s.trim());
  check(!links.includes("Mensajes") && !links.includes("Remitentes"), `the navigation leaves them out (${links.join(", ")})`);
  check(links.includes("Adjuntos"), "a viewer still finds the attachments of the sends they follow");
  await viewer.goto(app.base + "/adjuntos");
  await viewer.waitForSelector("h1:has-text('Adjuntos')");
  check(!(await viewer.isVisible("input[name=upload]")) && !(await viewer.isVisible("label:has-text('Subir adjunto')")), "but is not offered uploading");
  for (const path of ["/mensajes", "/mensajes/nuevo", "/remitentes"]) {
    await viewer.goto(app.base + path);
    await shows(viewer, "[data-testid=forbidden]", `typing ${path} shows the 403 page`);
  }
  await context.close();
});
