// docs/javascript.md, Vite: the dev server on the project's port, and never on
// another (strictPort: a taken port is an error, not a silent move).
import { defineConfig } from 'vite';
import { portFor } from 'stableport';

export default defineConfig({
  server: { port: portFor('web'), strictPort: true, host: '127.0.0.1' },
});
