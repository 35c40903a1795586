// The temporal API's tests of temporal.test.mjs again, with the server merging history
// eagerly: every instance waiting for its index entry gets it soon after its commit, two
// per merge transaction, while the tests read. So reads meet merged, half-merged and
// waiting instances (docs/decisions/0005, 0006), and the kill -9 test can stop
// a merge in the middle.
globalThis.TEMPORAL_SERVER_ARGS = ['--history-merge-rows', '1', '--history-merge-chunk', '2'];
await import('./temporal.test.mjs');
