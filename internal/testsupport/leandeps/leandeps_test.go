package leandeps_test

import (
	"bufio"
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/docr-dev/docr"

// forbidden are the import paths (exact, or a prefix ending in "/") that a
// per-pull program must not link, with the reason.
var forbidden = []struct{ path, why string }{
	{module + "/docrtest", "the fake API"},
	{module + "/docrtest/", "the fake API"},
	{"github.com/getkin/kin-openapi/", "kin-openapi (the fake's validator)"},
	{"github.com/santhosh-tekuri/jsonschema/", "jsonschema (about 9 ms and 21,000 allocations of init)"},
	{"github.com/jarcoal/httpmock", "httpmock (tests only)"},
	{"net/http/httptest", "net/http/httptest (test servers)"},
	{"testing", "package testing"},
	{"testing/", "package testing"},
	{module + "/kubesecret", "kubesecret (Kubernetes Secrets, for docr kubernetes-manifest)"},
	{module + "/dockerconfig", "dockerconfig (config.json and credential stores, for docr login)"},
	{"go.yaml.in/yaml/", "a YAML library"},
	{"gopkg.in/yaml.v2", "a YAML library"},
	{"gopkg.in/yaml.v3", "a YAML library"},
	{"sigs.k8s.io/yaml", "a YAML library"},
	{"sigs.k8s.io/yaml/", "a YAML library"},
	{"k8s.io/", "Kubernetes client libraries (the controller's)"},
	{"sigs.k8s.io/controller-runtime", "controller-runtime (the controller's)"},
	{"sigs.k8s.io/controller-runtime/", "controller-runtime (the controller's)"},
	{"github.com/prometheus/", "Prometheus client (the controller's)"},
}

// cliOnly are the forbidden entries that the docr command's own package
// links: docr is run by people, not per pull.
var cliOnly = []string{
	"kubesecret (Kubernetes Secrets, for docr kubernetes-manifest)",
	"dockerconfig (config.json and credential stores, for docr login)",
	"a YAML library",
}

func isForbidden(pkg string) (string, bool) {
	for _, f := range forbidden {
		if pkg == f.path || (strings.HasSuffix(f.path, "/") && strings.HasPrefix(pkg, f.path)) {
			return f.why, true
		}
	}
	return "", false
}

// deps runs go list -deps on pkg and returns each linked package's imports.
func deps(t *testing.T, root, pkg string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", pkg)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr.Bytes())
	}
	graph := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			graph[f[0]] = f[1:]
		}
	}
	if len(graph) == 0 {
		t.Fatalf("go list -deps %s listed nothing", pkg)
	}
	return graph
}

// violations returns, for each reason in forbidden, the shortest import
// chain from root to a package forbidden for that reason, sorted.
func violations(graph map[string][]string, root string) []string {
	parent := map[string]string{root: ""}
	queue := []string{root}
	first := map[string]string{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if why, bad := isForbidden(p); bad && first[why] == "" {
			chain := []string{p}
			for q := parent[p]; q != ""; q = parent[q] {
				chain = append(chain, q)
			}
			slices.Reverse(chain)
			first[why] = why + ": " + strings.Join(chain, " -> ")
		}
		for _, imp := range graph[p] {
			if _, seen := parent[imp]; !seen {
				parent[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	found := slices.Collect(maps.Values(first))
	slices.Sort(found)
	return found
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	return root
}

// TestPerPullProgramsStayLean fails, naming the import chain, if a program
// that Docker or a kubelet runs per pull links a forbidden package.
// The packages they are built from are checked on their own too:
// internal/programs/credhelper (the Docker helper, also run as docr
// credential-helper) and internal/programs/cli, which may link kubesecret,
// dockerconfig and YAML but not the fake. docrtest must not import testing
// (its callers pass a docrtest.TB).
func TestPerPullProgramsStayLean(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	tests := []struct {
		pkg      string
		optional bool     // skipped while the program does not exist yet
		allowed  []string // forbidden entries this package may link
	}{
		{pkg: "cmd/docker-credential-docr"},
		{pkg: "cmd/docr-credential-provider", optional: true},
		{pkg: "internal/programs/credhelper"},
		{pkg: "internal/programs/cli", allowed: cliOnly},
		// The library packages: what every importer of docr links.
		{pkg: "facade"},
		{pkg: "dockerconfig", allowed: []string{"dockerconfig (config.json and credential stores, for docr login)"}},
		{pkg: "kubesecret", allowed: []string{"kubesecret (Kubernetes Secrets, for docr kubernetes-manifest)", "a YAML library"}},
		{pkg: "gen"},
		{pkg: "docrtest", allowed: []string{"the fake API", "kin-openapi (the fake's validator)", "jsonschema (about 9 ms and 21,000 allocations of init)", "net/http/httptest (test servers)", "a YAML library"}},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(filepath.Join(root, tc.pkg)); err != nil && tc.optional {
				t.Skipf("%s is absent: %v", tc.pkg, err)
			}
			importPath := module + "/" + tc.pkg
			var bad []string
			for _, v := range violations(deps(t, root, "./"+tc.pkg), importPath) {
				if !slices.ContainsFunc(tc.allowed, func(a string) bool { return strings.HasPrefix(v, a+": ") }) {
					bad = append(bad, v)
				}
			}
			if len(bad) > 0 {
				t.Errorf("%s links packages a per-pull program must not:\n  %s", tc.pkg, strings.Join(bad, "\n  "))
			}
		})
	}
}

// TestCheckCatchesTheFake is the control: docr itself links the fake (for
// demo and fake-api), and the check must see it, through fakecmd.
func TestCheckCatchesTheFake(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	got := violations(deps(t, root, "./cmd/docr"), module+"/cmd/docr")
	want := "the fake API: " + module + "/cmd/docr -> " + module + "/internal/programs/fakecmd -> " + module + "/docrtest"
	if !slices.Contains(got, want) {
		t.Errorf("violations of cmd/docr = %q, want them to include %q", got, want)
	}
	for _, why := range []string{"kin-openapi (the fake's validator)", "jsonschema (about 9 ms and 21,000 allocations of init)"} {
		if !slices.ContainsFunc(got, func(v string) bool { return strings.HasPrefix(v, why+": ") }) {
			t.Errorf("violations of cmd/docr = %q, want one for %s", got, why)
		}
	}
}

// TestCheckCatchesTheController is the control for the controller's
// libraries: docr-controller links them, and the check must see it.
func TestCheckCatchesTheController(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	got := violations(deps(t, root, "./cmd/docr-controller"), module+"/cmd/docr-controller")
	for _, why := range []string{"Kubernetes client libraries (the controller's)", "controller-runtime (the controller's)", "Prometheus client (the controller's)"} {
		if !slices.ContainsFunc(got, func(v string) bool { return strings.HasPrefix(v, why+": ") }) {
			t.Errorf("violations of cmd/docr-controller = %q, want one for %s", got, why)
		}
	}
}

// TestViolations checks the chain search on a small graph.
func TestViolations(t *testing.T) {
	t.Parallel()
	graph := map[string][]string{
		"a":                                  {"b", "c", "fmt"},
		"b":                                  {"testing", "fmt"},
		"c":                                  {module + "/docrtest/internal/server"},
		"fmt":                                nil,
		"testing":                            {"fmt"},
		"testing/iotest":                     nil,
		module + "/docrtest/internal/server": nil,
	}
	got := violations(graph, "a")
	want := []string{
		"package testing: a -> b -> testing",
		"the fake API: a -> c -> " + module + "/docrtest/internal/server",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations = %q, want %q", got, want)
	}
	if got := violations(graph, "fmt"); len(got) != 0 {
		t.Errorf("violations of fmt = %q, want none", got)
	}
}
