// Starts the SPA: loads the WASM module. A file of its own, so the Content-Security-Policy
// needs no inline script.
import init from "/relay_frontend.js";
init({ module_or_path: "/relay_frontend_bg.wasm" });
