/**
 * The Dockerfile instructions `docker commit --change` and `docker import --change` accept (CMD,
 * ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE, STOPSIGNAL, VOLUME), applied to an image config with
 * dockerd's error texts.
 * @module
 */
import { badRequest } from './engine-errors.js';

/** The Dockerfile instructions `commit --change` (and `import --change`) accepts, applied to a config. */
function applyChange(config: Record<string, unknown>, line: string): void {
  const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(line);
  const instr = (m?.[1] ?? line.trim()).toUpperCase();
  const rest = (m?.[2] ?? '').trim();
  const list = (): string[] => {
    if (rest.startsWith('[')) {
      try {
        const v = JSON.parse(rest) as unknown;
        if (Array.isArray(v)) return v.map(String);
      } catch {
        // not JSON: shell form
      }
    }
    return ['/bin/sh', '-c', rest];
  };
  const pairs = (): [string, string][] => {
    if (!rest.includes('=')) {
      const sp = rest.indexOf(' ');
      return [[rest.slice(0, sp), rest.slice(sp + 1).trim()]];
    }
    return rest.split(/\s+/).map((p) => {
      const eq = p.indexOf('=');
      return [p.slice(0, eq), p.slice(eq + 1).replace(/^"(.*)"$/, '$1')];
    });
  };
  switch (instr) {
    case 'CMD':
      config.Cmd = list();
      return;
    case 'ENTRYPOINT':
      config.Entrypoint = list();
      return;
    case 'ENV':
      config.Env = [...((config.Env as string[] | null) ?? []), ...pairs().map(([k, v]) => `${k}=${v}`)];
      return;
    case 'LABEL':
      config.Labels = {
        ...((config.Labels as Record<string, string> | null) ?? {}),
        ...Object.fromEntries(pairs()),
      };
      return;
    case 'WORKDIR':
      config.WorkingDir = rest;
      return;
    case 'USER':
      config.User = rest;
      return;
    case 'EXPOSE': {
      const ports = Object.fromEntries(rest.split(/\s+/).map((p) => [p.includes('/') ? p : `${p}/tcp`, {}]));
      config.ExposedPorts = { ...((config.ExposedPorts as object | undefined) ?? {}), ...ports };
      return;
    }
    case 'STOPSIGNAL':
      config.StopSignal = rest;
      return;
    case 'VOLUME':
      config.Volumes = {
        ...((config.Volumes as object | null) ?? {}),
        ...Object.fromEntries(
          list()
            .slice(rest.startsWith('[') ? 0 : 2)
            .map((v) => [v, {}]),
        ),
      };
      return;
    default:
      throw badRequest(`${instr.toLowerCase()} is not a valid change command`);
  }
}

/**
 * Every `changes` of a request applied to `config`, in order: the query's `changes` values (repeated
 * ones from `repeated`), each possibly several lines.
 */
export function applyChanges(
  config: Record<string, unknown>,
  query: Record<string, string>,
  repeated: Record<string, string[]> | undefined,
): void {
  for (const line of repeated?.changes ?? (query.changes ? [query.changes] : [])) {
    for (const l of line.split('\n')) if (l.trim() !== '') applyChange(config, l);
  }
}
