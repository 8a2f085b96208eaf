import { useState } from 'react';
import { Modal, Stack, Text } from '@mantine/core';
import type { TaxiiFeed } from '@quell/contracts';
import { usePatchTaxiiFeed } from '../../api/indicators';
import { notify } from '../../lib/notify';
import { FormFooter } from '../form-footer';
import { TaxiiFeedFields, useTaxiiFeedForm } from './taxii-feed-fields';
import { feedComplete, feedPatch, feedValues } from './taxii-feed-values';

/**
 * Changes a TAXII feed with one `PATCH /api/indicators/feeds/:id` (audited) holding only what the
 * user changed. A refused change leaves the feed as it was; the dialog stays open with the reason.
 */
export function TaxiiFeedEditModal({ feed, onClose }: { feed: TaxiiFeed; onClose: () => void }) {
  const patch = usePatchTaxiiFeed();
  // The feed as the dialog opened: what the user changed is measured against it.
  const [initial] = useState(() => feedValues(feed));
  const form = useTaxiiFeedForm(initial);
  const changes = feedPatch(initial, form.values);
  const changed = Object.keys(changes).length > 0;

  const submit = () => {
    form.submitting();
    patch.mutate(
      { id: feed.id, patch: changes },
      {
        onSuccess: (f) => {
          notify.success(`Feed ${f.name} saved.`);
          onClose();
        },
        onError: form.refused,
      },
    );
  };

  return (
    <Modal opened onClose={onClose} title={`Edit the feed ${feed.name}`} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (changed) submit();
        }}
      >
        <Stack>
          <TaxiiFeedFields values={form.values} onChange={form.change} errors={form.fieldErrors} edit />
          <Text size="xs" c="dimmed">
            Only what you change is sent. New settings apply from the next pull; Pull now tries them at once.
          </Text>
          <FormFooter
            error={form.error}
            errorTitle="Not saved"
            errorTestId="taxii-feed-edit-error"
            onCancel={onClose}
            submitLabel="Save"
            submitTestId="taxii-feed-save"
            pending={patch.isPending}
            disabled={!changed || !feedComplete(form.values)}
          />
        </Stack>
      </form>
    </Modal>
  );
}
