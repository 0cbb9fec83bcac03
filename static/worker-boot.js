// Starts a Trailscope worker (the store or a parser): loads the worker's wasm from this folder,
// keeping the messages that arrive before it is ready and replaying them once it is. A file of
// its own, so the page's Content-Security-Policy allows workers from the page's origin only.
const early = [];
self.onmessage = (e) => early.push(e.data);
importScripts('./trailscope-worker.js');
wasm_bindgen({ module_or_path: './trailscope-worker_bg.wasm' }).then(() => {
  for (const data of early) self.dispatchEvent(new MessageEvent('message', { data }));
});
