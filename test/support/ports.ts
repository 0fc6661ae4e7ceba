/** A TCP port that was free a moment ago on 127.0.0.1 (the loader's own helper). */
export { freePort } from '../../src/warehouse/embedded.ts';
