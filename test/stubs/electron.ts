/**
 * A stand-in for the `electron` module so main-process wiring can be tested under Node
 * (vitest.config.mts aliases `electron` here). It records what the code under test registers.
 */
export {};
