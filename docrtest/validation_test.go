package docrtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/docrtest/internal/server"
	"github.com/docr-dev/docr/gen"
)

func TestMalformedRequestsAreCaught(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, body, contentType string
		op                                    string
		rule                                  []string
	}{
		{name: "expiry_seconds not an integer", method: "GET", path: "/v2/registries/example/docker-credentials?expiry_seconds=abc",
			op: "registries_get_dockerCredentials", rule: []string{`parameter "expiry_seconds" in query`, "invalid integer"}},
		{name: "negative expiry_seconds", method: "GET", path: "/v2/registry/docker-credentials?expiry_seconds=-1&read_write=true",
			op: "registry_get_dockerCredentials", rule: []string{`parameter "expiry_seconds" in query`, "must be at least 0"}},
		{name: "read_write not a boolean", method: "GET", path: "/v2/registry/docker-credentials?read_write=maybe",
			op: "registry_get_dockerCredentials", rule: []string{`parameter "read_write" in query`, "invalid boolean"}},
		{name: "per_page too large", method: "GET", path: "/v2/registries/example/repositoriesV2?per_page=500",
			op: "registries_list_repositoriesV2", rule: []string{`parameter "per_page" in query`, "at most 200"}},
		{name: "page zero", method: "GET", path: "/v2/registries/example/garbage-collections?page=0",
			op: "registries_list_garbageCollections", rule: []string{`parameter "page" in query`, "at least 1"}},
		{name: "body is not JSON", method: "POST", path: "/v2/registries", body: `{"name":`, contentType: "application/json",
			op: "registries_create", rule: []string{"request body", "unexpected end of JSON input"}},
		{name: "name breaks the pattern", method: "POST", path: "/v2/registries", body: `{"name":"Not_Valid"}`, contentType: "application/json",
			op: "registries_create", rule: []string{"request body", `"/name"`, "regular expression"}},
		{name: "unknown region", method: "POST", path: "/v2/registries", body: `{"name":"ok","region":"mars1"}`, contentType: "application/json",
			op: "registries_create", rule: []string{"request body", `"/region"`, "allowed values"}},
		{name: "required body missing", method: "POST", path: "/v2/registries/validate-name", contentType: "application/json",
			op: "registries_validate_name", rule: []string{"request body", "required"}},
		{name: "required property missing", method: "POST", path: "/v2/registry", body: `{"name":"abc"}`, contentType: "application/json",
			op: "registry_create", rule: []string{"request body", `"subscription_tier_slug"`, "missing"}},
		{name: "wrong content type", method: "POST", path: "/v2/registries/validate-name", body: `name=abc`, contentType: "application/x-www-form-urlencoded",
			op: "registries_validate_name", rule: []string{"request body", "Content-Type"}},
		{name: "body where none is specified", method: "DELETE", path: "/v2/registries/example", body: `{}`, contentType: "application/json",
			op: "registries_delete", rule: []string{"request body not allowed"}},
		{name: "wrong GC type", method: "POST", path: "/v2/registries/example/garbage-collection", body: `{"type":"everything"}`, contentType: "application/json",
			op: "registries_run_garbageCollection", rule: []string{"request body", `"/type"`}},
		{name: "cancel not a boolean", method: "PUT", path: "/v2/registries/example/garbage-collection/x", body: `{"cancel":"yes"}`, contentType: "application/json",
			op: "registries_update_garbageCollection", rule: []string{"request body", `"/cancel"`, "boolean"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got collector
			f := newFixture(t, docrtest.WithViolationHandler(got.add))
			var hdr []string
			if tc.contentType != "" {
				hdr = []string{"Content-Type", tc.contentType}
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			resp, raw := do(t, tc.method, f.srv.URL+tc.path, f.srv.Token, body, hdr...)
			equal(t, "status", resp.StatusCode, 400)
			var e gen.Error
			if err := json.Unmarshal(raw, &e); err != nil || e.Id != "bad_request" {
				t.Fatalf("body %s", raw)
			}
			vs := got.all()
			if len(vs) != 1 {
				t.Fatalf("violations = %v, want one", vs)
			}
			v := vs[0]
			if v.Kind != docrtest.RequestViolation || v.Operation != tc.op || !containsAll(v.Rule, tc.rule...) {
				t.Fatalf("violation = %+v, want a request violation of %s whose rule contains %q", v, tc.op, tc.rule)
			}
			equal(t, "message", e.Message, v.Rule)
			if strings.Contains(v.Rule, "abc") || strings.Contains(v.Rule, "maybe") || strings.Contains(v.Rule, "mars1") {
				t.Fatalf("the rule quotes a value: %s", v.Rule)
			}
			equal(t, "nothing issued", len(f.srv.Credentials()), 0)
			t.Log(v)
		})
	}
}

// recordingTB stands in for a test's testing.TB to see what NewServer
// reports. Cleanup goes to the real test.
type recordingTB struct {
	testing.TB
	mu           sync.Mutex
	errors, logs []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestRequestViolationFailsTheTest(t *testing.T) {
	t.Parallel()
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprint("allow=", allow), func(t *testing.T) {
			t.Parallel()
			rec := &recordingTB{TB: t}
			var opts []docrtest.Option
			if allow {
				opts = append(opts, docrtest.AllowInvalidRequests())
			}
			srv := docrtest.NewServer(rec, opts...)
			resp, _ := do(t, "GET", srv.URL+"/v2/registry/docker-credentials?expiry_seconds=abc", srv.Token, nil)
			equal(t, "status", resp.StatusCode, 400)
			want := `docrtest: request to registry_get_dockerCredentials (GET /v2/registry/docker-credentials) violates the spec: ` +
				`parameter "expiry_seconds" in query: an invalid integer`
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if allow {
				equal(t, "errors", rec.errors, []string(nil))
				equal(t, "logs", rec.logs, []string{want + " (allowed)"})
			} else {
				equal(t, "errors", rec.errors, []string{want})
			}
			equal(t, "Violations", len(srv.Violations()), 1)
		})
	}
}

// badCredentials is a docker-credentials response that breaks the spec by
// putting the secret where an object belongs.
type badCredentials struct{ secret string }

func (b badCredentials) VisitRegistriesGetDockerCredentialsResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	return json.NewEncoder(w).Encode(map[string]any{"auths": map[string]any{"registry.digitalocean.com": b.secret}})
}

// tagsWithoutMeta is a tag listing without the required meta.
type tagsWithoutMeta struct{}

func (tagsWithoutMeta) VisitRegistriesListRepositoryTagsResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(200)
	_, err := io.WriteString(w, `{"tags":[]}`)
	return err
}

// faultyHandlers plants responses that break the spec.
func faultyHandlers(f server.StrictHandlerFunc, operationID string) server.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
		resp, err := f(ctx, w, r, request)
		switch operationID {
		case "RegistriesGetDockerCredentials":
			ok := resp.(server.RegistriesGetDockerCredentials200JSONResponse)
			raw := *ok.Body.Auths["registry.digitalocean.com"].Auth
			return badCredentials{secret: raw}, nil
		case "RegistriesGetGarbageCollection":
			return server.RegistriesGetGarbageCollection200JSONResponse{GarbageCollectionResponseJSONResponse: server.GarbageCollectionResponseJSONResponse{
				Body: struct {
					GarbageCollection *gen.GarbageCollection `json:"garbage_collection,omitempty"`
				}{GarbageCollection: &gen.GarbageCollection{Status: ptr(gen.GarbageCollectionStatus("vacuuming"))}},
			}}, nil
		case "RegistriesListRepositoryTags":
			return tagsWithoutMeta{}, nil
		}
		return resp, err
	}
}

func TestMalformedResponsesAreCaught(t *testing.T) {
	t.Parallel()
	var got collector
	var logs bytes.Buffer
	var logMu sync.Mutex
	f := newFixture(t, docrtest.WithStrictMiddleware(faultyHandlers), docrtest.WithViolationHandler(got.add),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))))

	r, err := f.c.RegistriesGetDockerCredentialsWithResponse(ctx, "example", nil)
	checkError(t, err, r.HTTPResponse, r.Body, 500, "server_error")
	g, err := f.c.RegistriesGetGarbageCollectionWithResponse(ctx, "example")
	checkError(t, err, g.HTTPResponse, g.Body, 500, "server_error")
	l, err := f.c.RegistriesListRepositoryTagsWithResponse(ctx, "example", "repo-1", nil)
	checkError(t, err, l.HTTPResponse, l.Body, 500, "server_error")

	vs := got.all()
	if len(vs) != 3 {
		t.Fatalf("violations = %v", vs)
	}
	for i, want := range []struct {
		op   string
		rule []string
	}{
		{"registries_get_dockerCredentials", []string{"response body doesn't match schema", `"/auths/registry.digitalocean.com"`, "object"}},
		{"registries_get_garbageCollection", []string{"response body doesn't match schema", `"/garbage_collection/status"`, "allowed values"}},
		{"registries_list_repositoryTags", []string{"response body doesn't match schema", `property "meta" is missing`}},
	} {
		v := vs[i]
		if v.Kind != docrtest.ResponseViolation || v.Operation != want.op || !containsAll(v.Rule, want.rule...) {
			t.Errorf("violation %d = %+v, want a response violation of %s whose rule contains %q", i, v, want.op, want.rule)
		}
		t.Log(v)
	}

	secret := f.srv.Credentials()[0].Password
	logMu.Lock()
	defer logMu.Unlock()
	for _, where := range []string{vs[0].Rule, vs[0].String(), logs.String(), string(r.Body)} {
		if strings.Contains(where, secret) || strings.Contains(where, secret[7:20]) {
			t.Errorf("the password leaked into %q", where)
		}
	}
}

func TestViolationsAreLoggedWhenStandalone(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var mu sync.Mutex
	srv, err := docrtest.New(docrtest.WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))),
		docrtest.WithStrictMiddleware(faultyHandlers))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, _ := do(t, "GET", ts.URL+"/v2/registries/example/docker-credentials?expiry_seconds=x", srv.Token, nil)
	equal(t, "bad request", resp.StatusCode, 400)
	resp, _ = do(t, "GET", ts.URL+"/v2/registries/example/docker-credentials", srv.Token, nil)
	equal(t, "bad response", resp.StatusCode, 500)
	mu.Lock()
	defer mu.Unlock()
	out := logs.String()
	for _, want := range []string{
		`msg="docrtest: spec violation" kind=request operation=registries_get_dockerCredentials`,
		`msg="docrtest: spec violation" kind=response operation=registries_get_dockerCredentials`,
		`msg="docrtest: request" method=GET host=` + strings.TrimPrefix(ts.URL, "http://") +
			` path=/v2/registries/example/docker-credentials operation=registries_get_dockerCredentials status=500`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, srv.Token) || strings.Contains(out, srv.Credentials()[0].Password) {
		t.Errorf("a secret leaked into the log:\n%s", out)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
