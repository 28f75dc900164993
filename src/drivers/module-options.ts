/**
 * The options a driver module (`createPgModule`, `createMysql2Module`) gives each pool it makes: the
 * ORM's own connection options (user, database, timeouts, type parsers...) merged with the module's
 * `config`, which wins where both set something. ORMs pass every option they know, many of them
 * undefined; those are dropped, so that they neither hide a default nor count as set.
 *
 * Where `config` lists the nodes (`nodeKeys`: hosts, host, connection string...), the ORM's own
 * host, port and connection string are dropped: they name the one host the ORM was told about
 * (often `localhost`, its default), not the cluster. Where `config` lists none, the ORM's are kept,
 * so its `host` may list the nodes itself ("db1,db2:5433").
 */
/** The option names of a driver that say where the nodes are. */
export interface ModuleNodeKeys {
  /** Every one of them: host, port, connection string, socket path... */
  readonly nodes: readonly string[];
  /** The one a bare string given to the driver's constructor stands for. */
  readonly url: string;
}

export function mergeModuleOptions<Merged extends object>(
  ormOptions: unknown,
  config: object,
  keys: ModuleNodeKeys,
): Merged {
  const nodeKeys = keys.nodes;
  const fromOrm: Record<string, unknown> = {};
  const configNamesNodes = nodeKeys.some((key) => key !== 'port' && definedIn(config, key));
  if (typeof ormOptions === 'object' && ormOptions !== null) {
    for (const [key, value] of Object.entries(ormOptions)) {
      if (value === undefined) continue;
      if (configNamesNodes && nodeKeys.includes(key)) continue;
      fromOrm[key] = value;
    }
  } else if (typeof ormOptions === 'string' && !configNamesNodes) {
    // A connection string given to the driver's constructor (`new pg.Client(url)`).
    fromOrm[keys.url] = ormOptions;
  }
  return { ...fromOrm, ...withoutUndefined(config) } as Merged;
}

function definedIn(object: object, key: string): boolean {
  return (object as Record<string, unknown>)[key] !== undefined;
}

function withoutUndefined(object: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
