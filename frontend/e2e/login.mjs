// The login page signs a user in with the printed credentials, shows who is signed in,
// survives a reload, and signs out. Usage: node frontend/e2e/login.mjs target/debug/relay-console
import { startApp, browser, check } from "./harness.mjs";

const binary = process.argv[2] || "target/debug/relay-console";
const app = await startApp(binary);
const chrome = await browser();
const errors = [];
try {
  const page = await chrome.newPage();
  page.on("pageerror", (e) => errors.push(e.message));

  const started = Date.now();
  await page.goto(app.base + "/");
  await page.waitForURL("**/login");
  await page.waitForSelector("form.card button[type=submit]");
  console.log(`  login screen rendered in ${Date.now() - started} ms`);
  check(await page.isVisible("text=Iniciar sesión"), "an anonymous visitor lands on the login page");

  await page.fill("input[name=username]", "admin");
  await page.fill("input[name=password]", "wrong-password");
  await page.click("button[type=submit]");
  await page.waitForSelector("p.error");
  check((await page.textContent("p.error")).includes("Usuario o contraseña incorrectos."), "a wrong password shows the API's message");

  await page.fill("input[name=password]", app.password);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=signed-in-user]");
  check((await page.textContent("[data-testid=signed-in-user]")) === "admin", "the printed credentials sign in and the user's name is shown");
  check(new URL(page.url()).pathname === "/", "the app moves to its home page");

  await page.reload();
  await page.waitForSelector("[data-testid=signed-in-user]");
  check(true, "the session survives a reload");

  await page.click("text=Cerrar sesión");
  await page.waitForURL("**/login");
  check(await page.isVisible("input[name=username]"), "signing out returns to the login page");
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("relay-console")));
  check(stored.length === 0, "signing out forgets the tokens");
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
} finally {
  await chrome.close();
  await app.stop();
}
