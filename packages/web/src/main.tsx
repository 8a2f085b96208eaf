import '@mantine/core/styles.css';
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme } from '@mantine/core';
import { MutationCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router';
import { ApiError } from './api/client';
import { SessionProvider } from './api/session';
import { notify } from './lib/notify';
import { App } from './app';

const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'sm' });

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: true,
      // Refusals (4xx) will not change by asking again.
      retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
    },
  },
  // Every failed write is shown; a mutation that shows its own error sets meta.quiet.
  mutationCache: new MutationCache({
    onError: (e, _v, _c, m) => {
      if (m.meta?.quiet) return;
      if (e instanceof ApiError && e.status === 401) return;
      notify.error(e);
    },
  }),
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <SessionProvider>
            <App />
          </SessionProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
