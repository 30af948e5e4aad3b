package gen_test

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/docr-dev/docr/gen"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestDockerCredentialsKeepsEveryHost checks the overlay's fix: auths is a
// map of host to entry, not one fixed property.
func TestDockerCredentialsKeepsEveryHost(t *testing.T) {
	t.Parallel()
	body := `{"auths":{"registry.digitalocean.com":{"auth":"dXNlcjE6cGFzczE="},"sfo.registry.example":{"auth":"dXNlcjI6cGE6c3My"}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := gen.NewClientWithResponses(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.RegistriesGetDockerCredentialsWithResponse(context.Background(), "example", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil {
		t.Fatalf("JSON200 is nil; status %d", resp.StatusCode())
	}
	got := map[string]string{}
	for host, a := range resp.JSON200.Auths {
		got[host] = *a.Auth
	}
	want := map[string]string{"registry.digitalocean.com": "dXNlcjE6cGFzczE=", "sfo.registry.example": "dXNlcjI6cGE6c3My"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("auths = %v, want %v", got, want)
	}
	var direct gen.DockerCredentials
	if err := json.Unmarshal([]byte(body), &direct); err != nil || len(direct.Auths) != 2 {
		t.Fatalf("unmarshal = %v, %d hosts", err, len(direct.Auths))
	}
}

// TestCredentialsQuery sends read_write and expiry_seconds to the
// per-registry endpoint, which upstream does not declare (the overlay adds
// them), and to the single-registry one.
func TestCredentialsQuery(t *testing.T) {
	t.Parallel()
	type seen struct{ method, path, rawPath, query string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Method, r.URL.Path, r.URL.EscapedPath(), r.URL.RawQuery}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"auths":{}}`)
	}))
	t.Cleanup(srv.Close)
	c, err := gen.NewClientWithResponses(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	expiry, rw := 3600, true
	tests := []struct {
		name string
		call func() error
		want seen
	}{
		{"per-registry with both", func() error {
			_, err := c.RegistriesGetDockerCredentialsWithResponse(ctx, "my-reg", &gen.RegistriesGetDockerCredentialsParams{ExpirySeconds: &expiry, ReadWrite: &rw})
			return err
		}, seen{"GET", "/v2/registries/my-reg/docker-credentials", "/v2/registries/my-reg/docker-credentials", "expiry_seconds=3600&read_write=true"}},
		{"per-registry name escaped", func() error {
			_, err := c.RegistriesGetDockerCredentialsWithResponse(ctx, "a b/c", &gen.RegistriesGetDockerCredentialsParams{ReadWrite: &rw})
			return err
		}, seen{"GET", "/v2/registries/a b/c/docker-credentials", "/v2/registries/a%20b%2Fc/docker-credentials", "read_write=true"}},
		{"single registry", func() error {
			_, err := c.RegistryGetDockerCredentialsWithResponse(ctx, &gen.RegistryGetDockerCredentialsParams{ExpirySeconds: &expiry})
			return err
		}, seen{"GET", "/v2/registry/docker-credentials", "/v2/registry/docker-credentials", "expiry_seconds=3600"}},
	}
	for _, tt := range tests {
		if err := tt.call(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if s := <-got; s != tt.want {
			t.Errorf("%s: request = %+v, want %+v", tt.name, s, tt.want)
		}
	}
}

// TestClientHasEveryOperation compares the generated client with the spec:
// one WithResponse method per operation, no more, no fewer, and every
// deprecated operation is a single-registry (registry_*) one.
func TestClientHasEveryOperation(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../spec/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	iface := reflect.TypeFor[gen.ClientWithResponsesInterface]()
	var spec, client []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			spec = append(spec, goName(op.OperationID)+"WithResponse")
			if op.Deprecated && !strings.HasPrefix(op.OperationID, "registry_") {
				t.Errorf("deprecated operation %s is not a registry_* one", op.OperationID)
			}
		}
	}
	for i := range iface.NumMethod() {
		if m := iface.Method(i).Name; strings.HasSuffix(m, "WithResponse") && !strings.HasSuffix(m, "WithBodyWithResponse") {
			client = append(client, m)
		}
	}
	if missing, extra := setDiff(spec, client); len(missing)+len(extra) > 0 {
		t.Errorf("client and spec differ: operations without a client method %v; client methods without an operation %v", missing, extra)
	}
}

// setDiff returns the elements of want missing from got, and those of got
// not in want, each sorted.
func setDiff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return missing, extra
}

// goName turns an operationId into oapi-codegen's Go name.
func goName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// TestNoServerCode checks that gen holds the client and models only: the
// server interface the fake implements is generated into
// docrtest/internal/server, so no library user compiles it.
func TestNoServerCode(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	serverName := regexp.MustCompile(`Strict|ServerInterface|RequestObject$|ResponseObject$|JSONResponse$|ResponseHeaders$|^Handler|StdHTTPServer|MiddlewareFunc$|^InvalidParamFormatError$|^GetSwagger$|^PathToRawSpec$`)
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, d := range f.Decls {
			var names []string
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						names = append(names, s.Name.Name)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names = append(names, n.Name)
						}
					}
				}
			}
			for _, n := range names {
				if ast.IsExported(n) && serverName.MatchString(n) {
					t.Errorf("%s declares %s, a server or embedded-spec name; generate it into docrtest/internal/server", name, n)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no Go files checked")
	}
}
