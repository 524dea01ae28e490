import { createRequire } from 'node:module';

export { firstLine } from './first_line.js';

const require = createRequire(import.meta.url);

/** Whether an (optional) package can be found from here, to tell "not installed" from "broken". */
export function resolvable(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
