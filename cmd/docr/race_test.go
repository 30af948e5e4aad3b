//go:build race

package main_test

// raceEnabled makes TestMain build the programs with -race too, so that
// "go test -race" also checks the docr process itself.
func init() { raceEnabled = true }
