import { useState, type FormEvent } from 'react';
import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { errorMessage } from '../api/client';
import { useSession } from '../api/session';

/** Email and password; the server sets an HttpOnly session cookie. */
export function LoginPage() {
  const { me, login } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get('next'));

  if (me) return <Navigate to={next} replace />;

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password);
      void navigate(next, { replace: true });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center h="100vh" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={380} component="form" onSubmit={(e) => void submit(e)}>
        <Stack>
          <div>
            <Title order={2} c="indigo.7">
              Quell
            </Title>
            <Text c="dimmed" size="sm">
              Sign in to the response console
            </Text>
          </div>
          {error && (
            <Alert color="red" title="Could not sign in" data-testid="login-error">
              {error}
            </Alert>
          )}
          <TextInput
            label="Email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            data-testid="login-email"
            autoFocus
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            data-testid="login-password"
          />
          <Button type="submit" loading={busy} data-testid="login-submit">
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}

/** Only same-site paths: `next` comes from the URL and must not send the user elsewhere. */
function safeNext(v: string | null): string {
  return v && v.startsWith('/') && !v.startsWith('//') ? v : '/incidents';
}
