export function ActionPage() { return null; }
