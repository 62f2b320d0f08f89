// What every user manages for themselves: an API token created (shown once), used by a
// script with plain HTTP, and revoked; and "Mi remitente".
import { test, before, after } from "node:test";
import { world, check, shoot } from "./harness.mjs";

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
