import type { ReaderName } from '../catalog.types.js';
import { connectionsReader } from './connections.reader.js';
import { openFilesReader } from './open-files.reader.js';
import { processTreeReader } from './process-tree.reader.js';
import { processesReader } from './processes.reader.js';
import { proxyEnvReader } from './proxy-env.reader.js';
import type { Reader } from './reader.types.js';

/** The built-in readers by catalog name; a new name in READER_NAMES fails the build until it is here. */
export const READERS: Readonly<Record<ReaderName, Reader>> = {
  processes: processesReader,
  'process-tree': processTreeReader,
  'open-files': openFilesReader,
  connections: connectionsReader,
  'proxy-env': proxyEnvReader,
};
