import { useCallback } from 'react';
import { useSearchParams } from 'react-router';

/**
 * Page filters kept in the URL, so a filtered view can be bookmarked, shared and survives reload.
 * Empty values are dropped from the URL.
 */
export function useSearchState<K extends string>(keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(keys.map((k) => [k, params.get(k) ?? ''])) as Record<K, string>;
  const set = useCallback(
    (patch: Partial<Record<K, string | null>>) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(patch) as [K, string | null | undefined][]) {
            if (v) next.set(k, v);
            else next.delete(k);
          }
          return next;
        },
        { replace: true },
      );
    },
    [setParams],
  );
  return [values, set] as const;
}

/** `v` when it belongs to `vocab`, else undefined: URLs are typed by hand. */
export function oneOf<T extends string>(vocab: readonly T[], v: string): T | undefined {
  return (vocab as readonly string[]).includes(v) ? (v as T) : undefined;
}
