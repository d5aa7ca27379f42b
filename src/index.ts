export * from './account-settings-provider';
export * from './alternate-contact';
export * from './primary-contact';
export * from './account-name';
export * from './region-opt-in-provider';
export * from './region-opt-in';
export * from './account-baseline';
export * from './organization-baseline';
