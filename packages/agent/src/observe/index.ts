export { ExecObserver, type ExecObserverOptions } from './exec-observer.js';
export { observingScanner } from './scan-observations.js';
export { parsePasswd, userNames } from './passwd.js';
