// "Sistema": an admin proves the connection before the first real send, sees every check
// pass, and when Doppler takes the key only under the other scheme, reads which setting to
// change.
import { test, before, after } from "node:test";
import { world, check, shoot } from "./harness.mjs";

let w, sim, page;
before(async () => {
  w = await world({ sim: true });
  ({ sim, page } = w);
});
after(() => w?.stop());

test("'Probar conexión' passes, then names the wrong setting", async () => {
  await page.click("nav a:has-text('Sistema')");
  await page.waitForSelector("h1:has-text('Sistema')");
  await page.click("button:has-text('Probar conexión')");
  const summary = await page.waitForSelector("[data-testid=checks-summary]");
  check((await summary.textContent()).includes("Todo listo para enviar."), "every check passes against the simulator");
  const credentials = await page.textContent("[data-check=doppler_credentials]");
  check(credentials.includes("Credenciales de Doppler") && credentials.includes("ok"), "the credentials check is listed by its plain name");
  check((await page.textContent("[data-check=templates]")).includes("plantilla(s)"), "the template count is shown");
  await shoot(page, "system");

  await sim.faults({ auth_scheme_only: "token" });
  await page.click("button:has-text('Probar conexión')");
  await page.waitForSelector("[data-testid=checks-summary]:has-text('fallaron')");
  const failed = await page.textContent("[data-check=doppler_credentials]");
  check(failed.includes("falla") && failed.includes("DOPPLER_RELAY_AUTH_SCHEME=token"), "a refused scheme says which setting to change");
  await sim.faults({});
});
