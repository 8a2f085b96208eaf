import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const api = 'http://127.0.0.1:8470';

// The console compiles the contracts and core sources directly, so it never waits for their
// `tsc -b` output; their `.js` import suffixes resolve to the `.ts` files.
export default defineConfig({
  base: '/',
  plugins: [react()],
  resolve: {
    alias: {
      '@quell/contracts': here('../contracts/src/index.ts'),
      '@quell/core': here('../core/src/index.ts'),
    },
  },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { '/api': api, '/metrics': api },
  },
});
