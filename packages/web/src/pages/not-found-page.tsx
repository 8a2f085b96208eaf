import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <Stack>
      <Title order={2}>Not found</Title>
      <Text>
        There is no page here. Go to the{' '}
        <Anchor component={Link} to="/incidents">
          incident queue
        </Anchor>
        .
      </Text>
    </Stack>
  );
}
