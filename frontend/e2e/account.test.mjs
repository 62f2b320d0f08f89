// What every user manages for themselves: an API token created (shown once), used by a
// script with plain HTTP, and revoked; and "Mi remitente".
import { test, before, after } from "node:test";
import { world, check, shows, shoot } from "./harness.mjs";

let w, app, page;
before(async () => {
  w = await world({ contextOptions: { permissions: ["clipboard-read", "clipboard-write"] } });
  ({ app, page } = w);
});
after(() => w?.stop());

test("an API token is created, used by a script and revoked", async () => {
  await page.click("nav a:has-text('Tokens de API')");
  await page.waitForSelector("h1:has-text('Tokens de API')");
  await page.fill("input[name=token_name]", "script de cobranza");
  await page.fill("input[name=token_password]", app.password);
  await page.click("button:has-text('Crear token')");
  const secret = (await (await page.waitForSelector("[data-testid=token-secret] code")).textContent()).trim();
  check(secret.length > 20, "the secret is shown once after creating the token");
  await page.click("[data-testid=token-secret] button:has-text('Copiar')");
  await page.waitForSelector(".toast:has-text('Copiado')");
  check((await page.evaluate(() => navigator.clipboard.readText())) === secret, "'Copiar' puts the secret on the clipboard");
  await shoot(page, "tokens");

  const asScript = () => fetch(app.base + "/api/v1/bulk-sends?period=all", { headers: { authorization: `Bearer ${secret}` } });
  check((await asScript()).status === 200, "a script calls the API with the token");
  await page.click("[data-testid=token-secret] button:has-text('Ya lo guardé')");
  check(!(await page.isVisible("[data-testid=token-secret]")), "the secret is gone once saved");
  await page.click("table.data button:has-text('Revocar')");
  await page.click(".dialog button:has-text('Revocar')");
  await page.waitForSelector("table.data .badge:has-text('revocado')");
  check((await asScript()).status === 401, "a revoked token no longer opens the API");
});

test("a user sets the sender their sends go out as", async () => {
  await page.click("nav a:has-text('Mi remitente')");
  await page.fill("input[name=from_name]", "Cobranzas Quito");
  await page.fill("input[name=from_email]", "quito@example.com");
  await page.click("button:has-text('Guardar')");
  await page.waitForSelector("[data-testid=effective-sender]:has-text('quito@example.com')");
  check((await page.textContent("[data-testid=effective-sender]")).includes("Cobranzas Quito"), "the page shows the From the sends will use");
  await shoot(page, "my-sender");
});

test("a refused form says why on top and beside the field, which takes the focus", async () => {
  await page.click("nav a:has-text('Cambiar contraseña')");
  await page.waitForSelector("h1:has-text('Cambiar contraseña')");
  // A password everyone uses: the API refuses it (422) and names the field.
  await page.fill("input[name=current_password]", app.password);
  await page.fill("input[name=new_password]", "password1234");
  await page.fill("input[name=repeat_password]", "password1234");
  await page.click("form button[type=submit]");
  const summary = await page.waitForSelector(".form-problem[role=alert] p.error");
  const beside = await page.waitForSelector("input[name=new_password] ~ small.field-error");
  const said = (await beside.textContent()).trim();
  check(said.includes("común") && (await summary.textContent()).includes(said), `the API's refusal is on top and beside "Nueva contraseña" (${said})`);
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    return { name: el?.getAttribute("name"), invalid: el?.getAttribute("aria-invalid"), describedBy: el?.getAttribute("aria-describedby") };
  });
  check(focused.name === "new_password" && focused.invalid === "true", "the field at fault is marked invalid and has the focus");
  const describedBy = focused.describedBy.split(" ");
  check(describedBy.includes(await beside.getAttribute("id")) && describedBy.includes("password-rules"), "the field is described by its error, beside the password rules");
  check(!(await page.isVisible("input[name=current_password] ~ small.field-error")), "the other fields say nothing");

  // Two new passwords that differ: found before asking the API, beside the repeated one.
  await page.fill("input[name=repeat_password]", "otra-clave-distinta-de-Loja-3");
  await page.click("form button[type=submit]");
  await page.waitForSelector("input[name=repeat_password] ~ small.field-error");
  await shows(page, "input[name=repeat_password]:focus", "a check made before asking moves the focus too", { timeout: 5000 });
  check(await page.getAttribute("input[name=new_password]", "aria-invalid") === null, "a new attempt takes back what the last one marked");
  check((await page.getAttribute("input[name=new_password]", "aria-describedby")) === "password-rules", "the password rules describe the new password again");
  await shoot(page, "form-problem");
});

test("a form sends once however often it is submitted while its request runs", async () => {
  await page.click("nav a:has-text('Tokens de API')");
  await page.waitForSelector("h1:has-text('Tokens de API')");
  let posts = 0;
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route("**/api/v1/tokens", async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    posts += 1;
    await held;
    await route.continue();
  });
  await page.fill("input[name=token_name]", "enviado una vez");
  await page.fill("input[name=token_password]", app.password);
  await page.evaluate(() => {
    const form = document.querySelector("input[name=token_name]").form;
    form.requestSubmit();
    form.requestSubmit();
    form.requestSubmit();
  });
  await page.waitForSelector("form button[type=submit][disabled][aria-busy=true]");
  release();
  await page.waitForSelector("[data-testid=token-secret] code");
  await page.unroute("**/api/v1/tokens");
  check(posts === 1, `three submits while busy made one request (${posts})`);
  check(await page.isEnabled("form button[type=submit]"), "the button is usable again once the answer is in");
  await page.click("[data-testid=token-secret] button:has-text('Ya lo guardé')");
});

test("a list that could not load says so and loads again on 'Reintentar'", async () => {
  await page.click("nav a:has-text('Mi remitente')");
  await page.waitForSelector("h1:has-text('Mi remitente')");
  let refused = 0;
  await page.route("**/api/v1/tokens", (route) => {
    if (route.request().method() !== "GET" || refused > 0) return route.continue();
    refused += 1;
    return route.abort("connectionrefused");
  });
  await page.click("nav a:has-text('Tokens de API')");
  const failed = await page.waitForSelector("[data-testid=failed][role=alert]");
  check((await failed.textContent()).length > 0 && refused === 1, "the list that could not be read says so");
  await page.click("[data-testid=failed] button:has-text('Reintentar')");
  await page.waitForSelector("table.data td:has-text('enviado una vez')");
  check(!(await page.isVisible("[data-testid=failed]")), "'Reintentar' asks again and the list replaces the problem");
  await page.unroute("**/api/v1/tokens");
});
