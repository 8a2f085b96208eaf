import { Modal, Stack, Text } from '@mantine/core';
import { useCreateTaxiiFeed } from '../../api/indicators';
import { notify } from '../../lib/notify';
import { FormFooter } from '../form-footer';
import { TaxiiFeedFields, useTaxiiFeedForm } from './taxii-feed-fields';
import { NEW_FEED_VALUES, feedComplete, feedInput } from './taxii-feed-values';

/** A new TAXII 2.1 feed; the server checks its settings and the dialog shows why it refused. */
export function TaxiiFeedCreateModal({ onClose }: { onClose: () => void }) {
  const create = useCreateTaxiiFeed();
  const form = useTaxiiFeedForm(NEW_FEED_VALUES);

  const submit = () => {
    form.submitting();
    create.mutate(feedInput(form.values), {
      onSuccess: (f) => {
        notify.success(`Feed ${f.name} added; use Pull now to fetch it at once.`);
        onClose();
      },
      onError: form.refused,
    });
  };

  return (
    <Modal opened onClose={onClose} title="Add a TAXII 2.1 feed" size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Stack>
          <TaxiiFeedFields values={form.values} onChange={form.change} errors={form.fieldErrors} />
          <Text size="xs" c="dimmed">
            The server checks the settings when you add the feed; the first pull shows whether it can reach
            and read the collection.
          </Text>
          <FormFooter
            error={form.error}
            errorTitle="Not added"
            errorTestId="taxii-feed-error"
            onCancel={onClose}
            submitLabel="Add feed"
            submitTestId="taxii-feed-create"
            pending={create.isPending}
            disabled={!feedComplete(form.values)}
          />
        </Stack>
      </form>
    </Modal>
  );
}
