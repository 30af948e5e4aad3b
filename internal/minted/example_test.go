package minted_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/docr-dev/docr/internal/minted"
)

// A login records what it minted before storing it; a logout revokes a
// removed credential only if the record holds it, then forgets it.
func ExampleRecord() {
	dir, err := os.MkdirTemp("", "docr-state-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	rec, err := minted.Open(filepath.Join(dir, "docr"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if err := rec.Add(ctx, "registry.digitalocean.com", "minted-password", time.Now().Add(time.Hour)); err != nil {
		fmt.Println(err)
		return
	}
	for _, stored := range []string{"minted-password", "a token stored by docker login"} {
		ours, err := rec.Has(stored)
		fmt.Println(ours, err)
	}
	_ = rec.Remove(ctx, "minted-password") // after revoking it
	ours, _ := rec.Has("minted-password")
	fmt.Println(ours)
	// Output:
	// true <nil>
	// false <nil>
	// false
}
