// Starts the SQL worker: loads the SQL engine's wasm (a module of its own, fetched only when the
// SQL tab first opens) from this folder, keeping the messages that arrive before it is ready and
// replaying them once it is. A file of its own, so the page's Content-Security-Policy allows
// workers from the page's origin only.
const early = [];
self.onmessage = (e) => early.push(e);
importScripts('./trailscope-sql-worker.js');
wasm_bindgen({ module_or_path: './trailscope-sql-worker_bg.wasm' }).then(() => {
  for (const e of early) self.dispatchEvent(new MessageEvent('message', { data: e.data, ports: e.ports }));
});
