import '@tanstack/react-query';

declare module '@tanstack/react-query' {
  interface Register {
    /** `quiet`: the mutation shows its own error, the global toast stays out of it. */
    mutationMeta: { quiet?: boolean };
  }
}
