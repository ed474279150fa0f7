/// <reference types="vitest/config" />
// Build, dev server and unit-test settings. `npm run dev` proxies the
// funnel's /ws, /health and /api (timers) to CLOCKER_FUNNEL (default http://127.0.0.1:8080).
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';

export default defineConfig(({ mode }) => {
  const funnel = loadEnv(mode, '.', 'CLOCKER_').CLOCKER_FUNNEL || 'http://127.0.0.1:8080';
  const proxy = {
    '/ws': { target: funnel, ws: true },
    '/health': { target: funnel },
    '/api': { target: funnel },
  };
  return {
    plugins: [react()],
    build: {
      outDir: 'dist',
      assetsDir: 'assets',
      emptyOutDir: true,
      target: 'es2022',
    },
    server: { proxy },
    preview: { proxy },
    test: {
      include: ['src/**/*.test.ts'],
      environment: 'node',
    },
  };
});
