export { createFaultProxy } from './proxy';
export type {
  CloseOptions,
  ConnectionInfo,
  CutHandle,
  CutOnOptions,
  DirectionOptions,
  FaultDirection,
  FaultHandle,
  FaultProxy,
  FaultProxyOptions,
  FaultScope,
  ProxyProtocol,
  ProxyStats,
  ResetHandle,
  ScopeOptions,
} from './types';
