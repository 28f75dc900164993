/**
 * The environment a test server process gets: the harness's own, without the variables `dropped`
 * names (client settings meant for the app, which would reach the server or its replication
 * clients), and with the C locale, so that defaults and log messages do not depend on the machine.
 */
export function serverEnvironment(dropped: (key: string) => boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('LC_') || key === 'LANG' || dropped(key)) continue;
    env[key] = value;
  }
  env.LC_ALL = 'C';
  env.LANG = 'C';
  return env;
}
