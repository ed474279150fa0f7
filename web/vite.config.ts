/// <reference types="vitest/config" />
// Build, dev server and unit-test settings. `npm run dev` proxies the
// funnel's /ws, /health and /status.json to CLOCKER_FUNNEL (default http://127.0.0.1:8080),
// /api to the REST gateway at CLOCKER_GATEWAY (default http://127.0.0.1:8081)
// and /stream to the stream service at CLOCKER_STREAM (default
// http://127.0.0.1:8085), and answers /config.json itself with empty base
// URLs, so the page calls all of them on the dev server's own origin.
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type Plugin } from 'vite';

/** `/config.json` as the funnel would serve it behind an Ingress: everything on this origin. */
function sameOriginConfig(): Plugin {
  const answer = (req: { url?: string }, res: import('node:http').ServerResponse, next: () => void) => {
    if (req.url?.split('?')[0] !== '/config.json') return next();
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    res.end(JSON.stringify({ gateway: '', stream: '' }));
  };
  return {
    name: 'clocker-same-origin-config',
    configureServer: (server) => void server.middlewares.use(answer),
    configurePreviewServer: (server) => void server.middlewares.use(answer),
  };
}

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, '.', 'CLOCKER_');
  const funnel = env.CLOCKER_FUNNEL || 'http://127.0.0.1:8080';
  const gateway = env.CLOCKER_GATEWAY || 'http://127.0.0.1:8081';
  const stream = env.CLOCKER_STREAM || 'http://127.0.0.1:8085';
  const proxy = {
    '/ws': { target: funnel, ws: true },
    '/health': { target: funnel },
    '/status.json': { target: funnel },
    '/api': { target: gateway },
    '/stream': { target: stream },
  };
  return {
    plugins: [react(), sameOriginConfig()],
    build: {
      outDir: 'dist',
      assetsDir: 'assets',
      emptyOutDir: true,
      target: 'es2022',
    },
    server: { proxy },
    preview: { proxy },
    test: {
      // Models, stores and protocols in Node; components (`*.test.tsx`) in a DOM (jsdom), with Testing Library.
      projects: [
        { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'], environment: 'node' } },
        {
          extends: true,
          test: {
            name: 'components',
            include: ['src/**/*.test.tsx'],
            environment: 'jsdom',
            setupFiles: ['src/testing/componentSetup.ts'],
          },
        },
      ],
    },
  };
});
