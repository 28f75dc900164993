import type { NodeView } from '../../../src/core/node';

/** A healthy replica as a snapshot shows it, named `name`, with `overrides` on top. */
export function nodeView(name: string, overrides: Partial<NodeView> = {}): NodeView {
  return {
    name,
    host: name,
    port: 5432,
    role: 'replica',
    healthy: true,
    writable: false,
    suspect: false,
    ...overrides,
  };
}
