import { Button, type ButtonProps } from '@mantine/core';
import type { Action } from '@quell/contracts';
import { packageUrl } from '../../api/devices';

/** Whether an action left a package to download. */
export function hasPackage(a: Pick<Action, 'type' | 'status'>): boolean {
  return a.type === 'collect_investigation_package' && a.status === 'succeeded';
}

function size(bytes: unknown): string {
  if (typeof bytes !== 'number') return '';
  const mb = bytes / 1024 / 1024;
  return mb >= 1 ? ` (${mb.toFixed(1)} MB)` : ` (${Math.ceil(bytes / 1024)} KB)`;
}

/**
 * A plain link to the package: the browser streams the zip to disk itself, authorised by the
 * session cookie, instead of the console holding a large file in memory.
 */
export function PackageDownload({ action, ...p }: { action: Action } & Omit<ButtonProps, 'children'>) {
  if (!hasPackage(action)) return null;
  return (
    <Button
      component="a"
      href={packageUrl(action.id)}
      download
      variant="light"
      size="xs"
      data-testid="package-download"
      {...p}
    >
      Download package{size(action.result?.sizeBytes)}
    </Button>
  );
}
