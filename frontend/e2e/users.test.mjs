// An admin creates a user in "Operadores UI"; the new user signs in and sees exactly the
// operator navigation. Groups show their permissions in plain words; a user manager is not
// offered what the API would refuse.
import { test, before, after } from "node:test";
import { world, signIn, check, shows, shoot } from "./harness.mjs";

let w, app, chrome, page, token;
before(async () => {
  w = await world();
  ({ app, chrome, page, token } = w);
});
after(() => w?.stop());

const navigation = async (p) => (await p.locator("nav#nav-links ul a").allTextContents()).map((s) => s.trim());

test("a user put into 'Operadores UI' signs in and sees the operator navigation", async () => {
  await page.click("nav a:has-text('Usuarios y grupos')");
  await page.click("button:has-text('Nuevo usuario')");
  await page.fill("[data-testid=new-user] input[name=username]", "operadora1");
  await page.fill("[data-testid=new-user] input[name=password]", "operadora-segura-1");
  await page.check("[data-testid=new-user] input[name='group-Operadores UI']");
  await page.click("button:has-text('Crear usuario')");
  await page.waitForSelector("[data-testid=user-operadora1]");
  check((await page.textContent("[data-testid=user-operadora1]")).includes("Operadores UI"), "the new user is listed in its group");
  await shoot(page, "users");

  const context = await chrome.newContext();
  const operator = await context.newPage();
  await signIn(operator, app.base, "operadora1", "operadora-segura-1");
  const links = await navigation(operator);
  check(JSON.stringify(links) === JSON.stringify(["Envíos", "Nuevo envío", "Auditoría", "Plantillas", "Adjuntos", "Mi remitente", "Tokens de API", "Cambiar contraseña"]),
    `the operator sees exactly the operator navigation (${links.join(", ")})`);
  await operator.goto(app.base + "/usuarios");
  await shows(operator, "[data-testid=forbidden]", "and gets 403 on the users page");
  await context.close();
});

test("an admin deactivates a user, who can no longer sign in", async () => {
  await page.click("[data-testid=user-operadora1] button:has-text('Editar')");
  await page.uncheck("[data-testid=edit-user] input[name=is_active]");
  await page.click("[data-testid=edit-user] button:has-text('Guardar')");
  await page.waitForSelector("[data-testid=user-operadora1] .badge:has-text('desactivado')");
  const r = await fetch(app.base + "/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "operadora1", password: "operadora-segura-1" }) });
  check(r.status === 401 || r.status === 403, `a deactivated user is refused at sign-in (${r.status})`);
});

test("a user whose password an admin set chooses their own at the next sign-in", async () => {
  await app.api("POST", "/api/v1/users", token, { username: "cajera", password: "cajera-segura-1", permissions: ["bulk_sends.view"] });
  await page.goto(app.base + "/usuarios");
  await page.click("[data-testid=user-cajera] button:has-text('Editar')");
  await page.fill("[data-testid=edit-user] input[name=new_password]", "temporal-de-la-admin-7");
  await page.click("[data-testid=edit-user] button:has-text('Guardar')");
  await page.waitForSelector(".toast");

  const context = await chrome.newContext();
  const cashier = await context.newPage();
  await signIn(cashier, app.base, "cajera", "temporal-de-la-admin-7");
  const notice = await cashier.waitForSelector("[data-testid=password-forced]");
  check((await notice.textContent()).includes("Un administrador cambió su contraseña"), "she is told why she must choose a password");
  check((await navigation(cashier)).length === 0, "and nothing else is offered until she does");
  await shoot(cashier, "password-forced");
  await cashier.fill("input[name=current_password]", "temporal-de-la-admin-7");
  await cashier.fill("input[name=new_password]", "password1234");
  await cashier.fill("input[name=repeat_password]", "password1234");
  await cashier.click("main button[type=submit]");
  await cashier.waitForSelector("main p.error");
  check((await cashier.textContent("main p.error")).includes("demasiado común"), "a common password is refused in plain words");
  await cashier.fill("input[name=new_password]", "mi-clave-propia-de-Loja");
  await cashier.fill("input[name=repeat_password]", "mi-clave-propia-de-Loja");
  await cashier.click("main button[type=submit]");
  await cashier.waitForSelector(".toast:has-text('Contraseña cambiada')");
  await cashier.waitForSelector("nav a:has-text('Envíos')");
  check(!(await cashier.isVisible("[data-testid=password-forced]")), "with her own password the app opens as usual");
  await context.close();
  const r = await fetch(app.base + "/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "cajera", password: "mi-clave-propia-de-Loja" }) });
  check(r.status === 200 && !(await r.json()).password_change_required, "her new password signs her in with nothing more to do");
});

test("groups show their permissions in plain words, and a user manager is offered only their own", async () => {
  await page.goto(app.base + "/usuarios?pestana=grupos");
  await page.waitForSelector("[data-testid='group-Operadores UI']");
  check((await page.textContent("[data-testid='group-Operadores UI']")).includes("bulk_sends.operate"), "a group lists its permissions");
  await shoot(page, "groups");

  await page.fill("[data-testid=new-group] input[name=group_name]", "Mensajería");
  await page.check("[data-testid=new-group] input[name='messages.send']");
  await page.click("button:has-text('Crear grupo')");
  const card = "[data-testid='group-Mensajería']";
  await page.waitForSelector(card);
  await page.check(`${card} input[name='bulk_sends.view']`);
  await page.click(`${card} button:has-text('Guardar')`);
  await page.waitForSelector(".toast:has-text('Mensajería')");
  let groups = await app.api("GET", "/api/v1/groups", token);
  check(JSON.stringify(groups.find((g) => g.name === "Mensajería").permissions.sort()) === JSON.stringify(["bulk_sends.view", "messages.send"]),
    "a new group is created and its permissions changed from its card");
  await page.click(`${card} button:has-text('Eliminar')`);
  await page.click(".dialog button:has-text('Eliminar')");
  await page.waitForSelector(card, { state: "detached" });
  groups = await app.api("GET", "/api/v1/groups", token);
  check(!groups.some((g) => g.name === "Mensajería"), "deleting a group asks first and removes it");

  await app.api("POST", "/api/v1/users", token, { username: "gestor", password: "gestor-seguro-1", permissions: ["users.manage", "bulk_sends.view"] });
  const context = await chrome.newContext();
  const manager = await context.newPage();
  await signIn(manager, app.base, "gestor", "gestor-seguro-1");
  await manager.goto(app.base + "/usuarios");
  await manager.click("button:has-text('Nuevo usuario')");
  const offered = await manager.locator("[data-testid=new-user] label.permission input").evaluateAll((els) => els.map((e) => e.name));
  check(JSON.stringify(offered.sort()) === JSON.stringify(["bulk_sends.view", "users.manage"]), `only the manager's own permissions are offered (${offered.join(", ")})`);
  check(await manager.isDisabled("[data-testid=new-user] input[name='group-Operadores UI']"), "a group with permissions the manager lacks cannot be given");
  check((await manager.textContent("[data-testid=user-admin]")).includes("Solo un superusuario"), "a superuser's row offers no edit to a non-superuser");
  await context.close();
});
