//go:build race

package bench

// raceEnabled is true when the tests are built with -race, which makes every
// client call several times slower; the quick run shrinks further then.
const raceEnabled = true
