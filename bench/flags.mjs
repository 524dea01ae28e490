/** The benchmark scripts' `--name value` flags (a flag without a value reads 'true'). */
export function parseFlags(argv = process.argv.slice(2)) {
  return Object.fromEntries(
    argv.flatMap((a, i, all) =>
      a.startsWith('--') ? [[a.slice(2), all[i + 1] == null || all[i + 1].startsWith('--') ? 'true' : all[i + 1]]] : [],
    ),
  );
}
