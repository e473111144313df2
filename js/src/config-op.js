export function configOperation() { return {}; }
