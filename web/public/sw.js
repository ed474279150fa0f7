// Clocker's service worker: keeps the app shell (index.html, its hashed
// /assets/ files, the icons and the manifest) so the page opens offline, and
// nothing else. The time, timers, numbers and status always come live from
// the network (/ws, /api/, /stream, /config.json, /status.json, /health are
// never answered here), so offline the page says so instead of showing a
// stale time.
//
// Navigations: network first, the cached shell when the network fails.
// /assets/ (hashed, never change): cache first. Other shell files: network
// first. Installing reads the assets to keep from index.html itself, and each
// fresh shell drops the /assets/ files it no longer links; a new
// CACHE name (bump it when this file's behaviour changes) drops the old
// caches on activate.

const CACHE = "clocker-shell-v1";
/** The shell's key in the cache: every route of the page is this one file. */
const SHELL = "/";
const SHELL_FILES = ["/favicon.svg", "/manifest.webmanifest", "/icon-192.png", "/icon-512.png"];
/** Live data: never cached, never answered by this worker. */
const LIVE = [/^\/ws(\/|$)/, /^\/api\//, /^\/stream/, /^\/config\.json$/, /^\/status\.json$/, /^\/health$/];

/** The /assets/ files index.html links (its script and stylesheets). */
function assetsOf(html) {
  return [...new Set(html.match(/\/assets\/[^"'\s)]+/g) ?? [])];
}

/** Fetches the shell afresh and keeps it with everything it links. */
async function cacheShell() {
  const cache = await caches.open(CACHE);
  const response = await fetch(SHELL, { cache: "reload" });
  if (!response.ok) throw new Error(`the shell answered ${response.status}`);
  const html = await response.clone().text();
  await cache.addAll([...assetsOf(html), ...SHELL_FILES]);
  await cache.put(SHELL, response);
}

async function dropOldCaches() {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name)));
}

/**
 * Drops the /assets/ files the shell `html` no longer links: after a new
 * release the old hashed files would otherwise pile up in the cache for ever.
 */
async function dropStaleAssets(cache, html) {
  const linked = new Set(assetsOf(html));
  const kept = await cache.keys();
  const stale = kept.filter((request) => {
    const path = new URL(request.url).pathname;
    return path.startsWith("/assets/") && !linked.has(path);
  });
  await Promise.all(stale.map((request) => cache.delete(request)));
}

/** The network's answer (kept under `key` when it is good), else what the cache has. */
async function networkFirst(request, key) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(key, response.clone());
      if (key === SHELL) await dropStaleAssets(cache, await response.clone().text());
    }
    return response;
  } catch (error) {
    const cached = await caches.match(key);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("install", (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(dropOldCaches().then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (LIVE.some((pattern) => pattern.test(url.pathname))) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, SHELL));
  } else if (url.pathname.startsWith("/assets/")) {
    event.respondWith(cacheFirst(request));
  } else if (SHELL_FILES.includes(url.pathname)) {
    event.respondWith(networkFirst(request, url.pathname));
  }
});
