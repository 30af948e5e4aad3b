// Package readmecheck holds a test that compiles every Go block of the
// README, so that what a new user copies builds as written.
package readmecheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var goBlock = regexp.MustCompile("(?ms)^```go\n(.*?)^```\n")

// TestREADMEGoBlocksCompile: each ```go block of README.md is a complete
// program that `go vet` (which type-checks it) accepts against this module.
func TestREADMEGoBlocksCompile(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlock.FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```go block; did the fence change?")
	}
	for i, b := range blocks {
		src := b[1]
		line := 1 + bytes.Count(readme[:bytes.Index(readme, src)], []byte("\n"))
		t.Run(strings.TrimSpace(string(src[:bytes.IndexByte(src, '\n')]))+"@"+strconv.Itoa(line), func(t *testing.T) {
			if !bytes.HasPrefix(src, []byte("package ")) {
				t.Fatalf("README.md:%d: the Go block does not start with a package clause; make it a complete program", line)
			}
			// Inside the module, so that its imports resolve to this checkout.
			dir, err := os.MkdirTemp(root, ".readme-block-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("go", "vet", "./"+filepath.Base(dir))
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("README.md:%d: block %d does not compile:\n%s", line, i+1, out)
			}
		})
	}
}
