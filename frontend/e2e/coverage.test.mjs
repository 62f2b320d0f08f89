// Runs after the other browser tests (`just e2e` starts it once they are done): every API call their
// pages made was recorded (harness.mjs), and this maps the calls onto the OpenAPI
// operations. Every operation a person uses must have been answered 2xx from some page of
// the SPA; none of the pages may have met a 403 (what a user may not do is not offered)
// or a 5xx. The table of which page covers which operation is written to
// target/e2e/coverage.md.
import { test } from "node:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root, apiCalls, check } from "./harness.mjs";

// Operations that are not a person's task, and why.
const notForPeople = {
  healthz: "liveness probe for nginx, systemd and load balancers",
  readyz: "readiness probe for monitoring",
  prometheus_metrics: "scraped by Prometheus",
  get_group: "the groups page shows every group in full from list_groups",
  get_job: "Auditoría and a send's Trabajos show every job in full from list_jobs",
  get_report: "Reportes shows every report in full from list_reports, refreshed while one is processing",
  set_user_groups: "the users page saves a user's groups with the rest of the user in one update_user call (all or nothing); kept for scripts",
  set_user_permissions: "the users page saves a user's direct permissions with the rest of the user in one update_user call; kept for scripts",
};

const spec = JSON.parse(readFileSync(join(root, "openapi/openapi.json"), "utf8"));
const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([method]) => ["get", "post", "put", "patch", "delete"].includes(method))
    .map(([method, op]) => ({
      id: op.operationId,
      method: method.toUpperCase(),
      path,
      params: (path.match(/\{/g) || []).length,
      pattern: new RegExp("^" + path.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+") + "$"),
    })),
);

// The operation a call was: the matching template with the fewest parameters
// (`/bulk-sends/summary` over `/bulk-sends/{id}`).
const operationOf = (call) =>
  operations
    .filter((op) => op.method === call.method && op.pattern.test(call.path))
    .sort((a, b) => a.params - b.params)[0];

test("every API operation a person uses is reached from a page of the SPA", () => {
  check(existsSync(apiCalls), `the browser tests recorded their API calls (${apiCalls})`);
  const calls = readFileSync(apiCalls, "utf8").trim().split("\n").map((line) => JSON.parse(line));
  const pages = new Map(operations.map((op) => [op.id, new Set()]));
  const refused = [];
  const broken = [];
  const unknown = [];
  for (const call of calls) {
    const op = operationOf(call);
    if (!op) unknown.push(`${call.method} ${call.path} from ${call.page}`);
    if (call.status === 403) refused.push(`${call.method} ${call.path} from ${call.page}`);
    if (call.status >= 500) broken.push(`${call.method} ${call.path} (${call.status}) from ${call.page}`);
    if (op && call.status >= 200 && call.status < 300) pages.get(op.id).add(call.page.replace(/\/(\d+|[0-9a-f-]{16,})$/i, "/:id"));
  }
  const lines = ["| Operation | Method and path | Pages of the SPA that used it |", "|---|---|---|"];
  for (const op of operations) {
    const where = notForPeople[op.id] ? `(not a person's task: ${notForPeople[op.id]})` : [...pages.get(op.id)].sort().join(", ");
    lines.push(`| ${op.id} | ${op.method} ${op.path} | ${where} |`);
  }
  writeFileSync(join(root, "target/e2e/coverage.md"), lines.join("\n") + "\n");
  const missing = operations.filter((op) => !notForPeople[op.id] && pages.get(op.id).size === 0).map((op) => op.id);
  check(missing.length === 0, `every operation was answered 2xx to the SPA (missing: ${missing.join(", ") || "none"}); table in target/e2e/coverage.md`);
  check(refused.length === 0, `no page met a 403: nothing forbidden is offered (${refused.join("; ") || "none"})`);
  check(broken.length === 0, `no page met a server error (${broken.join("; ") || "none"})`);
  check(unknown.length === 0, `every call the SPA made is a documented operation (${unknown.join("; ") || "all are"})`);
  const stale = Object.keys(notForPeople).filter((id) => !operations.some((op) => op.id === id));
  check(stale.length === 0, `every exception names a real operation (${stale.join(", ") || "all do"})`);
});
