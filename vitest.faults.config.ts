import { defineConfig } from 'vitest/config';
import { faultFiles, shared } from './vitest.config';

/*
 * `npm run test:faults`: the slow fault scenarios, and the files holding the property tests of the schemas against
 * PostgreSQL again at their full size (TQS_RELIABILITY; `npm test` runs them with fewer cases).
 */
export default defineConfig({
  test: {
    ...shared,
    env: { TQS_RELIABILITY: '1' },
    include: [...faultFiles, 'test/validation.test.ts', 'test/wire.test.ts'],
  },
});
