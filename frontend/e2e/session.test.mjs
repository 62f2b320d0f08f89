// The shell as an operator meets it: signing in (refresh token in an HTTP-only cookie,
// nothing in localStorage), staying signed in across a reload, returning to the page asked
// for, the language switch, 404 and offline pages, and signing out.
import { test, before, after } from "node:test";
import { startApp, browser, check, reaches, shows, shoot } from "./harness.mjs";

const binary = process.env.RELAY_CONSOLE_BIN || "target/debug/relay-console";
let app, chrome;
before(async () => {
  app = await startApp(binary, null);
  chrome = await browser();
});
after(async () => {
  await chrome?.close();
  await app?.stop();
});

test("an operator signs in, keeps the session across reloads, switches language and signs out", async () => {
  const context = await chrome.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));

  const started = Date.now();
  await page.goto(app.base + "/envios?periodo=todo");
  await page.waitForSelector("form.card button[type=submit]");
  console.log(`  login screen rendered in ${Date.now() - started} ms`);
  check(new URL(page.url()).searchParams.get("next") === "/envios?periodo=todo", "an anonymous visitor is sent to sign in, remembering the page asked for");
  check(await page.isVisible("text=Iniciar sesión"), "the login page speaks Spanish by default");
  await shoot(page, "login");

  await page.fill("input[name=username]", "admin");
  await page.fill("input[name=password]", "wrong-password");
  await page.click("button[type=submit]");
  await page.waitForSelector("p.error");
  check((await page.textContent("p.error")).includes("Usuario o contraseña incorrectos."), "a wrong password shows the API's message");

  await page.fill("input[name=password]", app.password);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=signed-in-user]");
  check((await page.textContent("[data-testid=signed-in-user]")) === "admin", "the printed credentials sign in and the user's name is shown");
  check(new URL(page.url()).pathname + new URL(page.url()).search === "/envios?periodo=todo", "after signing in the user is on the page first asked for");
  await page.waitForSelector("text=Aún no hay envíos");
  check(await page.isVisible("a:has-text('Nuevo envío')"), "an admin sees 'Nuevo envío'");

  const cookie = (await context.cookies()).find((c) => c.name === "relay_refresh");
  check(cookie && cookie.httpOnly && cookie.sameSite === "Strict" && cookie.path === "/api/v1/auth", "the refresh token is an HTTP-only, SameSite=Strict cookie on the auth path");
  const stored = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage));
  check(!stored.includes("eyJ") && !stored.includes(cookie.value), "no token is kept in web storage");

  await page.reload();
  await page.waitForSelector("[data-testid=signed-in-user]");
  check(new URL(page.url()).pathname === "/envios", "the session survives a reload");

  // Two tabs starting at once both trade the rotating cookie: they must take turns, or the
  // second would present a used cookie and the server would end the session.
  const second = await context.newPage();
  await Promise.all([page.reload(), second.goto(app.base + "/envios")]);
  await Promise.all([page.waitForSelector("[data-testid=signed-in-user]"), second.waitForSelector("[data-testid=signed-in-user]")]);
  await second.reload();
  await shows(second, "[data-testid=signed-in-user]", "two tabs opened together both stay signed in");
  await second.close();

  await page.goto(app.base + "/envios/987654");
  await page.waitForSelector("[data-testid=not-found]");
  check(await page.isVisible("text=Página no encontrada"), "an unknown send shows the 404 page");
  await shoot(page, "not-found");
  await page.goto(app.base + "/no-existe");
  await shows(page, "[data-testid=not-found]", "an unknown address shows the 404 page");

  await page.goto(app.base + "/envios");
  await page.waitForSelector("h1:has-text('Envíos')");
  await page.click(".user-menu button[lang=en]");
  await page.waitForSelector("h1:has-text('Sends')");
  check(await page.isVisible("a:has-text('New send')"), "switching to English changes the navigation");
  check((await page.getAttribute("html", "lang")) === "en", "the document's language follows");
  await page.reload();
  await shows(page, "h1:has-text('Sends')", "the language is remembered across a reload");
  await page.click(".user-menu button[lang=es]");
  await page.waitForSelector("h1:has-text('Envíos')");

  await context.setOffline(true);
  await page.selectOption("select >> nth=0", "done");
  await page.waitForSelector(".banner.offline");
  check((await page.textContent(".banner.offline")).includes("Sin conexión"), "a lost connection shows the 'sin conexión' banner");
  await context.setOffline(false);
  await page.click(".banner.offline button");
  await shows(page, ".banner.offline", "'Reintentar' clears the banner once the server answers", { state: "detached" });
  check(new URL(page.url()).searchParams.get("estado") === "done", "the status filter is kept in the URL");

  await context.clearCookies();
  await page.reload();
  await page.waitForURL("**/login?next=*");
  await page.fill("input[name=username]", "admin");
  await page.fill("input[name=password]", app.password);
  await page.click("button[type=submit]");
  await reaches(page, "**/envios?estado=done", "a session that ended returns the user to the same view after signing in again");

  await page.click("text=Cerrar sesión");
  await page.waitForURL("**/login*");
  check(await page.isVisible("input[name=username]"), "signing out returns to the login page");
  await page.goto(app.base + "/envios");
  await reaches(page, "**/login?next=*", "after signing out the session is gone (a reload asks to sign in)");

  await page.goto(app.base + "/login?next=" + encodeURIComponent("/\\evil.example/x"));
  await page.fill("input[name=username]", "admin");
  await page.fill("input[name=password]", app.password);
  await page.click("button[type=submit]");
  await page.waitForURL("**/envios");
  check(new URL(page.url()).origin === app.base, "a 'next' address that leaves the site is ignored");
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
  await context.close();
});
