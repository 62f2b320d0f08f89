// A template manager creates a template, sees it rendered live with sample values, edits
// and deletes it; a reader sees templates without being able to change them.
import { test, before, after } from "node:test";
import { world, signIn, check, shows, shoot } from "./harness.mjs";

let w, app, chrome, page, token;

before(async () => {
  w = await world({ sim: true });
  ({ app, chrome, page, token } = w);
});
after(() => w?.stop());

test("a template is created, previewed live and deleted", async () => {
  await page.click("nav a:has-text('Plantillas')");
  await shows(page, "table.data a:has-text('Descuento en su deuda')", "the list shows Doppler's templates");
  await page.click("a:has-text('Nueva plantilla')");
  await page.fill("input[name=name]", "Aviso de prueba");
  await page.fill("input[name=subject]", "Hola {{nombres}}");
  await page.fill("input[name=from_email]", "cobranzas@example.com");
  await page.fill("textarea[name=html]",
    "<p>Estimado {{nombres}}, su saldo es {{{saldo}}}.</p>{{#mora}}<p>En mora desde {{& fecha}}</p>{{/mora}}{{! nota interna }}");
  await page.waitForSelector("[data-testid=template-variables] code:has-text('{{fecha}}')");
  const listedVariables = await page.$$eval("[data-testid=template-variables] code", (codes) => codes.map((c) => c.textContent));
  check(JSON.stringify(listedVariables) === JSON.stringify(["{{nombres}}", "{{saldo}}", "{{fecha}}"]),
    `the variables the body uses are listed, the API's way: no section or comment (${listedVariables})`);
  await page.fill("[data-testid=template-variables] label:has-text('nombres') input", "Ana <b>");
  await page.fill("[data-testid=template-variables] label:has-text('saldo') input", "<b>$90</b>");
  const frame = await (await page.waitForSelector("iframe[data-testid=live-preview]")).contentFrame();
  await frame.waitForSelector("b:has-text('$90')");
  check((await frame.textContent("p")).includes("Estimado Ana <b>, su saldo es $90."), "the preview fills the sample values ({{x}} escaped, {{{x}}} raw)");
  const previewText = await frame.textContent("body");
  check(!previewText.includes("En mora") && !previewText.includes("nota interna") && !previewText.includes("{{"),
    `a section without a value and a comment are not shown (${previewText})`);
  await shoot(page, "template-editor");
  await page.click("button:has-text('Guardar')");
  await page.waitForURL((u) => u.pathname.startsWith("/plantillas/") && !u.pathname.endsWith("/nueva"));
  const id = decodeURIComponent(page.url().split("/").pop());
  check(id !== "nueva", "saving creates the template and opens it");
  const listed = await app.api("GET", "/api/v1/templates?q=Aviso%20de%20prueba", token);
  check(listed.items.some((t) => t.id === id), "Doppler has the new template");
  await page.waitForSelector(".toast:has-text('Plantilla guardada')");
  // The saved template's own editor, loaded from the API (only it offers 'Eliminar'): typing
  // into the creation form while it loads would be overwritten by the loaded values.
  await page.waitForSelector("button.danger:has-text('Eliminar')");
  await page.fill("input[name=subject]", "Aviso para {{nombres}}");
  const [saved] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "PATCH" && r.url().includes("/api/v1/templates/")),
    page.click("button:has-text('Guardar')"),
  ]);
  check(saved.status() === 200, "'Guardar' on an existing template saves the change");
  const stored = await app.api("GET", `/api/v1/templates/${encodeURIComponent(id)}`, token);
  check(stored.subject === "Aviso para {{nombres}}", "an edit is saved to Doppler");
  await page.click("button.danger:has-text('Eliminar')");
  await page.click(".dialog button:has-text('Eliminar')");
  await page.waitForURL("**/plantillas");
  const after = await app.api("GET", "/api/v1/templates?q=Aviso%20de%20prueba&refresh=true", token);
  check(!after.items.some((t) => t.id === id), "deleting asks first and removes it");
});

test("a template reader sees the editor read-only", async () => {
  await app.api("POST", "/api/v1/users", token, { username: "lector", password: "lector-seguro-1", permissions: ["templates.view"] });
  const context = await chrome.newContext();
  const reader = await context.newPage();
  await signIn(reader, app.base, "lector", "lector-seguro-1");
  await reader.goto(app.base + "/plantillas");
  await reader.waitForSelector("table.data a");
  check(!(await reader.isVisible("a:has-text('Nueva plantilla')")), "a reader is not offered 'Nueva plantilla'");
  await reader.click("table.data a >> nth=0");
  await reader.waitForSelector("textarea[name=html]");
  check(await reader.isDisabled("textarea[name=html]"), "the editor is read-only for a reader");
  check(!(await reader.isVisible("button:has-text('Guardar')")), "and offers no 'Guardar'");
  await context.close();
});
