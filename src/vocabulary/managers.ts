// The package managers and installers the `package-manager` and `installer` inputs accept.
// A leaf: the inputs door and the venv phase both read these names from here.

export const PACKAGE_MANAGERS = ['pip', 'poetry', 'pipenv', 'uv'] as const;
export type PackageManagerName = (typeof PACKAGE_MANAGERS)[number];
export type PackageManagerChoice = 'auto' | PackageManagerName;

/** `installer`: what installs a pip project's requirements (lock-file managers install their own). */
export const INSTALLERS = ['pip', 'uv'] as const;
export type InstallerName = (typeof INSTALLERS)[number];
