export function packageAliases(): Array<{ find: RegExp; replacement: string }>
export function resolvePackageSpecifier(specifier: string): string | undefined
