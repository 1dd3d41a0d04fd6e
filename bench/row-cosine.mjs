// Kept so that existing callers (scripts/bench.sh, scripts/test.sh) keep working: the
// benchmark is now bench/run.mjs, with the same flags (`--quick` for the CI smoke run).
await import('./run.mjs');
