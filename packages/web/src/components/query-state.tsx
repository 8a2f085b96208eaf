import type { ReactNode } from 'react';
import { Alert, Button, Center, Loader } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { errorMessage } from '../api/client';

/** Loading spinner, error with retry, or the data. */
export function QueryState<T>({
  query,
  children,
  title = 'Could not load',
}: {
  query: UseQueryResult<T>;
  children: (data: T) => ReactNode;
  title?: string;
}) {
  if (query.isPending) {
    return (
      <Center p="lg">
        <Loader size="sm" />
      </Center>
    );
  }
  if (query.isError) {
    return (
      <Alert color="red" title={title}>
        {errorMessage(query.error)}{' '}
        <Button size="compact-xs" variant="light" color="red" ml="sm" onClick={() => void query.refetch()}>
          Retry
        </Button>
      </Alert>
    );
  }
  return <>{children(query.data)}</>;
}
