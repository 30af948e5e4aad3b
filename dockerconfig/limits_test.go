//go:build unix

package dockerconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigSizeLimit (issue 12, case 15): a config.json over MaxConfigSize
// is refused with ErrInvalidConfig before it is read into memory, and left
// as it was; one at the limit is read.
func TestConfigSizeLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, ConfigFileName)
	// A sparse file: the size without the memory or the disk.
	f, err := os.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxConfigSize + 1); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	w, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := "is 16777217 bytes or more, larger than the 16 MiB docr reads"
	if _, err := w.Store(ctx, doCred); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
		t.Errorf("Store: err = %v, want ErrInvalidConfig with %q", err, want)
	}
	if _, _, err := w.Lookup(ctx, doCred.Host); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
		t.Errorf("Lookup: err = %v", err)
	}
	if fi, err := os.Stat(cfg); err != nil || fi.Size() != MaxConfigSize+1 {
		t.Errorf("the file changed: %v %v", fi.Size(), err)
	}

	// At the limit: JSON padded with spaces to exactly MaxConfigSize bytes.
	doc := `{"x":1}`
	if err := os.WriteFile(cfg, []byte(doc+strings.Repeat(" ", MaxConfigSize-len(doc))), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store(ctx, doCred); err != nil {
		t.Errorf("a config of exactly MaxConfigSize bytes: %v", err)
	}
}
