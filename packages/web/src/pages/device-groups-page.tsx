export function DeviceGroupsPage() { return null; }
