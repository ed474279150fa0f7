/**
 * Registers the service worker (`public/sw.js`) once the page has loaded, in
 * production builds only (in development it would serve stale modules to
 * Vite). It keeps the app shell for offline use; the time never comes from it.
 */

if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  const register = () => {
    navigator.serviceWorker.register('/sw.js').catch((error: unknown) => {
      // Without it the page still works online; say why once, for whoever looks.
      console.info('Clocker: no offline copy of the page:', error);
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}

export {};
