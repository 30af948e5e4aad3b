package layers_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/docr-dev/docr"

// layerOf names the layer of a package of the module.
func layerOf(pkg string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	switch {
	case strings.HasPrefix(rel, "cmd/"):
		return "command"
	case strings.HasPrefix(rel, "internal/programs/"):
		return "program"
	case strings.HasPrefix(rel, "internal/buildtools/"):
		return "build tool"
	case strings.HasPrefix(rel, "internal/testsupport/"):
		return "test support"
	case rel == "docrtest" || strings.HasPrefix(rel, "docrtest/"):
		return "fake"
	case rel == "api" || strings.HasPrefix(rel, "api/"):
		return "api types"
	}
	return "library"
}

// allowed says which layers each layer may import (besides its own).
var allowed = map[string][]string{
	"library":      {},
	"api types":    {},
	"fake":         {"library"},
	"program":      {"library", "api types", "fake"},
	"command":      {"program", "library", "api types"},
	"build tool":   {"library"},
	"test support": {"library", "api types", "fake"},
}

func TestLayers(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		n++
		from := layerOf(f[0])
		for _, imp := range f[1:] {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := layerOf(imp)
			if to == from || contains(allowed[from], to) {
				continue
			}
			t.Errorf("%s (%s) imports %s (%s): a %s may import only %v", f[0], from, imp, to, from, allowed[from])
		}
	}
	if n < 20 {
		t.Fatalf("go list listed only %d packages", n)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The rule catches what it must.
func TestLayerOf(t *testing.T) {
	t.Parallel()
	for pkg, want := range map[string]string{
		module + "/facade":                          "library",
		module + "/internal/registryhost":           "library",
		module + "/internal/programs/cli":           "program",
		module + "/cmd/docr":                        "command",
		module + "/internal/testsupport/testctx":    "test support",
		module + "/internal/buildtools/specextract": "build tool",
		module + "/docrtest/internal/server":        "fake",
		module:                                      "library",
	} {
		if got := layerOf(pkg); got != want {
			t.Errorf("layerOf(%s) = %s, want %s", pkg, got, want)
		}
	}
	if contains(allowed["library"], "program") || contains(allowed["library"], "fake") {
		t.Error("the library may not import programs or the fake")
	}
}
