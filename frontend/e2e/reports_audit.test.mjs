// A report manager's day in the browser: request a report, process it, load it into the
// default and the analytics database (a real PostgreSQL one), see both "Cargado en" badges
// and why a second load is not offered, download it; then retry a failed job from
// "Auditoría" and a failed report from "Reportes".
import { test, before, after } from "node:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { world, check, shows, shoot } from "./harness.mjs";

const pg = process.env.TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const analyticsDb = `relay_e2e_analytics_${process.pid}`;
const psql = (sql) => execFileSync("psql", [pg, "-v", "ON_ERROR_STOP=1", "-qc", sql]);
let w, sim, app, page, token;

before(async () => {
  psql(`CREATE DATABASE ${analyticsDb}`);
  w = await world({
    sim: true,
    env: { ANALYTICS_DATABASE_URL: pg.replace(/\/[^/]*$/, `/${analyticsDb}`) },
    user: {
      username: "reportes", password: "reportes-seguro-1",
      permissions: ["reports.view", "reports.request", "reports.can_process_reports", "reports.can_load_to_db", "jobs.view", "audit.view"],
    },
  });
  ({ sim, app, page, token } = w);
});
after(async () => {
  await w?.stop();
  psql(`DROP DATABASE IF EXISTS ${analyticsDb} WITH (FORCE)`);
});

// Today in the server's TIME_ZONE (the harness sets America/Guayaquil).
const today = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Guayaquil" }).format(new Date());

test("a report manager requests, processes and loads a report into both databases", async () => {
  check(!(await page.isVisible("nav a:has-text('Nuevo envío')")), "a report manager sees no 'Nuevo envío'");
  await page.click("nav a:has-text('Reportes')");
  await page.waitForSelector("h1:has-text('Reportes')");
  await page.click("button:has-text('Solicitar reporte')");
  check((await page.textContent("[data-testid=report-contents]")).includes("mismo resumen"),
    "the form says every type is the same summary of every message, not 'bounces only'");
  await page.fill("input[name=start_date]", today);
  await page.fill("input[name=end_date]", today);
  await page.click("[data-testid=request-report] button[type=submit]");
  const state = await (await page.waitForSelector("table.data tr[data-testid^=report-] .badge")).textContent();
  check(["pendiente", "en proceso", "listo"].includes(state.trim()), `the requested report is listed with its state (${state.trim()})`);
  await page.click("button:has-text('Procesar pendientes ahora')");
  const ready = await page.waitForSelector("table.data .badge:has-text('listo')", { timeout: 60000 });
  check((await ready.textContent()).trim() === "listo", "processing brings it to 'listo' without reloading the page");

  await page.click("button:has-text('Cargar en base principal')");
  await page.waitForSelector("table.data .badge:has-text('Cargado en base principal')");
  await page.click("button:has-text('Cargar en base de análisis')");
  await page.waitForSelector("table.data .badge:has-text('Cargado en base de análisis')");
  check(await page.isVisible("table.data .badge:has-text('Cargado en base principal')"), "both 'Cargado en' badges are shown");
  check(await page.isDisabled("button:has-text('Cargar en base principal')"), "a second load into the main database is not offered");
  check((await page.textContent("[data-testid=why-not-default]")).includes("Ya cargado en base principal"), "and the page says why");
  await shoot(page, "reports");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("table.data button:has-text('Descargar CSV')")]);
  const csv = readFileSync(await download.path(), "utf8");
  check(download.suggestedFilename().endsWith(".csv") && csv.split("\n")[0].length > 0, "'Descargar CSV' saves the report's file");
});

test("a job in error is retried from 'Auditoría'", async () => {
  await sim.faults({ report_status: 400 });
  await app.api("POST", "/api/v1/reports", token, { report_type: "bounces", start_date: today, end_date: today });
  await app.api("POST", "/api/v1/reports/process-pending", token);
  await page.goto(app.base + "/auditoria?estado=error");
  await shows(page, "table.data .badge:has-text('error')", "the failed job is listed with its error", { timeout: 60000 });
  await sim.faults({});
  await page.click("table.data button:has-text('Reintentar')");
  await shows(page, ".toast:has-text('Trabajo reintentado')", "'Reintentar' queues it again");
  await shoot(page, "audit");
  await page.click("button[role=tab]:has-text('Registro de acciones')");
  const signedIn = await page.waitForSelector("table.data td[title='auth.login']");
  check((await signedIn.textContent()).trim() === "Inició sesión", "the action log says in words who signed in");
  await page.selectOption("select[name=accion]", "auth.login");
  await page.waitForFunction(() => [...document.querySelectorAll("table.data td[data-label='Acción']")].every((td) => td.textContent.trim() === "Inició sesión"));
  check(page.url().includes("accion=auth.login"), "the action filter offers the actions by name");
});

test("a report in error says why and is requested again with 'Reintentar'", async () => {
  await sim.faults({ report_status: 400 });
  await app.api("POST", "/api/v1/reports", token, { report_type: "clicks", start_date: today, end_date: today });
  await app.api("POST", "/api/v1/reports/process-pending", token);
  await page.goto(app.base + "/reportes");
  const failed = "table.data tr[data-testid^=report-]:has(.badge:has-text('ERROR'))";
  await shows(page, `${failed} small.error`, "the report in error shows Doppler's refusal", { timeout: 60000 });
  await sim.faults({});
  await page.click(`${failed} button:has-text('Reintentar')`);
  await shows(page, ".toast:has-text('Reporte solicitado de nuevo')", "'Reintentar' requests it again");
});
