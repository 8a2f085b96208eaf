import { Alert, Button, Group } from '@mantine/core';

export interface FormFooterProps {
  /** Why the last submit was refused (the API's message, or a check made before sending). */
  error: string | null;
  /** Heading of the refusal, e.g. "Not saved"; none by default. */
  errorTitle?: string;
  errorTestId: string;
  onCancel: () => void;
  submitLabel: string;
  submitTestId: string;
  pending: boolean;
  disabled?: boolean;
  /** Without it the button submits the enclosing `<form>`, so Enter in a field submits too. */
  onSubmit?: () => void;
}

/** The end of a dialog's form: the refusal, if any, then Cancel and the submit button. */
export function FormFooter(p: FormFooterProps) {
  return (
    <>
      {p.error && (
        <Alert color="red" title={p.errorTitle} data-testid={p.errorTestId}>
          {p.error}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={p.onCancel}>
          Cancel
        </Button>
        <Button
          type={p.onSubmit ? 'button' : 'submit'}
          onClick={p.onSubmit}
          loading={p.pending}
          disabled={p.disabled}
          data-testid={p.submitTestId}
        >
          {p.submitLabel}
        </Button>
      </Group>
    </>
  );
}
