// Every list pages as an operator expects: "Siguiente" and "Anterior" move a page, a
// bookmarked "?pagina=N" opens that page, and the last page holds what is left with
// "Siguiente" disabled. Envíos, a send's recipients, Reportes, Auditoría, Mensajes, Adjuntos
// (its jobs and its log) and Remitentes, each with more than one page of rows made through
// the API.
import { test, before, after } from "node:test";
import { world, check } from "./harness.mjs";

const PAGE = 20;
let w, app, page, token;

before(async () => {
  w = await world({ sim: true });
  ({ app, page, token } = w);
});
after(() => w?.stop());

const templateId = async () => (await app.api("GET", "/api/v1/templates?q=Descuento", token)).items[0].id;

async function upload(path, field, name, body, fields = {}) {
  const form = new FormData();
  form.append(field, new Blob([body]), name);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const r = await fetch(app.base + path, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  if (r.status !== 201) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

function deudaRows(n, offset = 0) {
  let csv = "email;identificacion;nombres;deuda;descuento;total_a_pagar\n";
  for (let i = offset + 1; i <= offset + n; i++) csv += `cliente${i}@example.com;09${String(i).padStart(8, "0")};Cliente ${i};${100 + i};10;${90 + i}\n`;
  return csv;
}

// How many items the API says a list holds.
const total = async (path) => (await app.api("GET", `${path}${path.includes("?") ? "&" : "?"}page_size=1`, token)).total;

const pagerText = () => page.textContent(".pager span");
const rows = () => page.$$eval("main table.data tbody tr", (trs) => trs.map((tr) => tr.textContent.trim()));

// Pages through the list at `path` (its query kept) holding `count` rows.
async function pagesThrough(label, path, count) {
  const last = Math.ceil(count / PAGE);
  check(last >= 2, `${label}: ${count} rows make ${last} pages`);
  await page.goto(app.base + path);
  await page.waitForSelector(".pager");
  check((await pagerText()).includes(`Página 1 de ${last}`), `${label}: "Página 1 de ${last}"`);
  const first = await rows();
  check(first.length === PAGE, `${label}: page 1 shows ${PAGE} rows`);
  check(await page.isDisabled(".pager button:has-text('Anterior')"), `${label}: "Anterior" is disabled on page 1`);

  await page.click(".pager button:has-text('Siguiente')");
  await page.waitForFunction(() => document.querySelector(".pager span")?.textContent.includes("Página 2 de"));
  check(page.url().includes("pagina=2"), `${label}: "Siguiente" puts the page in the URL`);
  await page.waitForFunction((before) => document.querySelector("main table.data tbody tr")?.textContent.trim() !== before, first[0]);
  const second = await rows();
  check(!second.some((r) => first.includes(r)), `${label}: page 2 shows other rows than page 1`);

  await page.click(".pager button:has-text('Anterior')");
  await page.waitForFunction(() => document.querySelector(".pager span")?.textContent.includes("Página 1 de"));
  await page.waitForFunction((want) => document.querySelector("main table.data tbody tr")?.textContent.trim() === want, first[0]);
  check((await rows())[0] === first[0], `${label}: "Anterior" is back on page 1`);

  const sep = path.includes("?") ? "&" : "?";
  await page.goto(`${app.base}${path}${sep}pagina=${last}`);
  await page.waitForFunction((want) => document.querySelector(".pager span")?.textContent.includes(want), `Página ${last} de ${last}`);
  const left = count - PAGE * (last - 1);
  await page.waitForFunction((n) => document.querySelectorAll("main table.data tbody tr").length === n, left);
  check(await page.isDisabled(".pager button:has-text('Siguiente')"), `${label}: a direct ?pagina=${last} opens the last page (${left} rows), "Siguiente" disabled`);
}

test("Envíos and a send's recipients page through", async () => {
  const template = await templateId();
  for (let i = 0; i < 22; i++) {
    await upload("/api/v1/bulk-sends", "recipients_file", `lista-${i}.csv`, deudaRows(1, i), { template_id: template });
  }
  const big = await upload("/api/v1/bulk-sends", "recipients_file", "grande.csv", deudaRows(45), { template_id: template });
  await pagesThrough("Envíos", "/envios?periodo=todo", await total("/api/v1/bulk-sends"));
  await pagesThrough("Destinatarios", `/envios/${big.id}?pestana=destinatarios`, 45);
});

test("Reportes, Auditoría, Mensajes, Adjuntos and Remitentes page through", async () => {
  const today = new Date().toISOString().slice(0, 10);
  // At most 20 reports may wait at once: two batches, each processed before the next.
  let requested = 0;
  for (const batch of [12, 11]) {
    for (let i = 0; i < batch; i++) await app.api("POST", "/api/v1/reports", token, { report_type: "bounces", start_date: today, end_date: today });
    requested += batch;
    await app.api("POST", "/api/v1/reports/process-pending", token);
    for (let tries = 0; (await total("/api/v1/reports?state=READY")) < requested; tries++) {
      if (tries > 600) throw new Error("the reports never became ready");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await pagesThrough("Reportes", "/reportes", await total("/api/v1/reports"));
  await pagesThrough("Auditoría · Trabajos", "/auditoria", await total("/api/v1/jobs"));
  await pagesThrough("Auditoría · Registro", "/auditoria?pestana=registro", await total("/api/v1/audit"));

  for (let i = 0; i < 21; i++) {
    await app.api("POST", "/api/v1/messages", token, { to: [`persona${i}@example.com`], subject: `Aviso ${i}`, html: `<p>${i}</p>` });
  }
  await pagesThrough("Mensajes", "/mensajes", await total("/api/v1/messages"));

  for (let i = 0; i < 21; i++) await upload("/api/v1/attachments", "file", `estado-${i}.pdf`, `%PDF-1.4 ${i}`);
  await pagesThrough("Adjuntos", "/adjuntos", await total("/api/v1/attachments"));

  // One identity per user: 21 users, each with theirs.
  for (let i = 0; i < 21; i++) {
    const user = await app.api("POST", "/api/v1/users", token, { username: `cobrador${i}`, password: `cobrador-clave-Pichincha-${i}` });
    await app.api("POST", "/api/v1/senders", token, { user_id: user.id, from_email: `area${i}@example.com`, from_name: `Área ${i}` });
  }
  await pagesThrough("Remitentes", "/remitentes", await total("/api/v1/senders"));
});
