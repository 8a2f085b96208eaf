/**
 * `@quell/contracts/agent`: the agent protocol alone. The endpoint agent imports this entry, not
 * the package's, so a process that lives on every device loads none of the REST schemas, routes
 * and console client it never uses.
 */
export {
  AGENT_PROTOCOL_VERSION,
  CLOSE_CODES,
  ENROLLMENT_TOKEN_PREFIX,
  STREAM_KINDS,
  StreamFrame,
  Inventory,
  EnrollRequest,
  EnrollResponse,
  IsolationExclusion,
  IsolationSpec,
  VerifiedState,
  AgentState,
  Command,
  Detection,
  commandSigningText,
  helloSigningText,
  ServerMessage,
  AgentMessage,
  ChallengeMessage,
  WelcomeMessage,
  CommandMessage,
  CancelMessage,
  ResultAckMessage,
  HelloMessage,
  HeartbeatMessage,
  StateMessage,
  AckMessage,
  ProgressMessage,
  ResultMessage,
  StreamOpen,
  StreamData,
  StreamClose,
  StreamAck,
} from './agent-protocol.js';
export { registerContractKinds } from './contract-kinds.js';
