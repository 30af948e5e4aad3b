//go:build unix

package main_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"
)

// secretLike is a value shaped like a DigitalOcean API token, new for each
// run, so that finding any part of it in an output is never a coincidence.
func secretLike(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "dop_v1_" + hex.EncodeToString(b)
}

// holdsPartOf reports the first 8-byte piece of secret that out holds.
func holdsPartOf(out, secret string) (string, bool) {
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(out, secret[i:i+8]) {
			return secret[i : i+8], true
		}
	}
	return "", false
}

// answerAPI answers every docker-credentials request (account or named
// registry) with body, and records the tokens sent to /v1/oauth/revoke.
type answerAPI struct {
	*httptest.Server
	mu      sync.Mutex
	revoked []string
	calls   int
}

func newAnswerAPI(t *testing.T, body func() string) *answerAPI {
	t.Helper()
	api := &answerAPI{}
	mux := http.NewServeMux()
	credentials := func(w http.ResponseWriter, r *http.Request) {
		api.mu.Lock()
		api.calls++
		api.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body()))
	}
	mux.HandleFunc("GET /v2/registry/docker-credentials", credentials)
	mux.HandleFunc("GET /v2/registries/{name}/docker-credentials", credentials)
	mux.HandleFunc("POST /v1/oauth/revoke", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Header.Get("Authorization") != "Bearer "+r.PostForm.Get("token") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		api.mu.Lock()
		api.revoked = append(api.revoked, r.PostForm.Get("token"))
		api.mu.Unlock()
	})
	api.Server = httptest.NewServer(mux)
	t.Cleanup(api.Close)
	return api
}

func (api *answerAPI) credentialCalls() int {
	api.mu.Lock()
	defer api.mu.Unlock()
	return api.calls
}

func (api *answerAPI) revokedTokens() []string {
	api.mu.Lock()
	defer api.mu.Unlock()
	return slices.Sorted(slices.Values(api.revoked))
}

// use points docr's API and revocation endpoint at api, for the registry
// host registry.digitalocean.com.
func (api *answerAPI) use(h *harness) {
	h.set("DIGITALOCEAN_API_URL", api.URL, "DOCR_REVOKE_URL", api.URL+"/v1/oauth/revoke",
		"DOCR_REGISTRY_HOST", helperHost)
}

// TestLoginAPITokenAsCredentialNeverStoredOrRevoked (issue 22, item 9, at
// the CLI): a hostile API answers a --token-file login with the API token
// itself as the registry credential. docr refuses it: nothing is stored or
// recorded, and a later logout (with or without the token file) has
// nothing to revoke, so the API token never reaches the revocation
// endpoint. No output holds the token.
func TestLoginAPITokenAsCredentialNeverStoredOrRevoked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	token := secretLike(t)
	api := newAnswerAPI(t, func() string {
		return `{"auths":{"` + helperHost + `":{"auth":"` + b64(token+":"+token) + `"}}}`
	})
	api.use(h)
	h.set("DIGITALOCEAN_TOKEN", "")
	tokenFile := filepath.Join(h.home, "do-token")
	writeFile(t, tokenFile, token+"\n")

	r := h.docr("--token-file", tokenFile, "login")
	fails(t, r, 1, "the API answered with the API token itself as the credential", "refused, nothing is kept")
	for _, args := range [][]string{{"logout"}, {"--token-file", tokenFile, "logout"}} {
		lr := ok(t, h.docr(args...))
		if want := "Not logged in to " + helperHost; !strings.Contains(lr.stdout, want) {
			t.Errorf("%v: stdout %q, want %q", args, lr.stdout, want)
		}
		r.stdout += lr.stdout
		r.stderr += lr.stderr
	}
	if n := api.credentialCalls(); n != 1 {
		t.Errorf("%d credential requests, want 1", n)
	}
	if got := api.revokedTokens(); len(got) != 0 {
		t.Errorf("%d revocations, want none (the API token must never be sent there)", len(got))
	}
	if b, err := os.ReadFile(filepath.Join(h.docker, "config.json")); err == nil {
		if strings.Contains(string(b), token) || strings.Contains(string(b), b64(token+":"+token)) {
			t.Errorf("config.json holds the API token:\n%s", b)
		}
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if fps := recordedFingerprints(t, h); slices.Contains(fps, sha256Hex(token)) || len(fps) != 0 {
		t.Errorf("the record holds %d credentials, the API token among them: %v", len(fps), slices.Contains(fps, sha256Hex(token)))
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if piece, found := holdsPartOf(out, token); found {
			t.Errorf("the output holds %q of the API token:\n%v", piece, r)
		}
	}
}

// TestPrintedConfigHoldsOnlyTheRegistryHost (issue 22, item 10): docker-config
// and kubernetes-manifest print {"auths":{<registry host>:{"auth":...}}},
// encoded anew, whatever else a hostile API puts in its answer: credsStore,
// credHelpers, proxies, other fields of the entry, text with bidi controls.
// An answer that names other hosts is refused whole, prints nothing, and
// every credential in it is revoked.
func TestPrintedConfigHoldsOnlyTheRegistryHost(t *testing.T) {
	t.Parallel()
	auth := b64("user-sekret:sekret")
	want := `{"auths":{"` + helperHost + `":{"auth":"` + auth + `"}}}`
	extras := `{"auths":{"` + helperHost + `":{"auth":"` + auth + `","identitytoken":"evil","email":"\u202eevil","x-extra":{"a":1}}},` +
		`"credsStore":"evil","credHelpers":{"` + helperHost + `":"evil"},` +
		`"proxies":{"default":{"httpProxy":"http://evil.example:3128"}},"x-note":"\u202e\u2066gotcha"}`
	commands := map[string][]string{
		"docker-config":            {"docker-config"},
		"kubernetes-manifest json": {"kubernetes-manifest", "--registry", "example", "--output", "json"},
		"kubernetes-manifest yaml": {"kubernetes-manifest", "--registry", "example"},
	}
	for name, args := range commands {
		t.Run(name+"/extra keys dropped", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			newAnswerAPI(t, func() string { return extras }).use(h)
			r := ok(t, h.docr(args...))
			got := r.stdout
			if args[0] == "kubernetes-manifest" {
				got = dockerConfigJSONOf(t, r.stdout)
			} else if !strings.HasSuffix(got, "\n") {
				t.Errorf("stdout does not end with a newline: %q", got)
			}
			if got = strings.TrimSuffix(got, "\n"); got != want {
				t.Errorf("printed config\n got %s\nwant %s", got, want)
			}
			for _, bad := range []string{"evil", "\u202e", "\u2066", "credsStore", "proxies"} {
				if strings.Contains(r.stdout, bad) {
					t.Errorf("stdout holds %q", bad)
				}
			}
		})
		t.Run(name+"/other hosts refused", func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			api := newAnswerAPI(t, func() string {
				return `{"auths":{"` + helperHost + `":{"auth":"` + b64("u1:secret-one") + `"},"ghcr.io":{"auth":"` + b64("u2:secret-two") + `"}}}`
			})
			api.use(h)
			r := h.docr(args...)
			fails(t, r, 1, `the API issued credentials for "ghcr.io", not only for `+helperHost, "refused, nothing was printed", "(the minted credential was revoked)")
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
			if got := api.revokedTokens(); !slices.Equal(got, []string{"secret-one", "secret-two"}) {
				t.Errorf("revoked %q, want both credentials of the refused answer", got)
			}
			for _, s := range []string{"secret-one", "secret-two"} {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr holds a credential: %q", r.stderr)
				}
			}
		})
	}
}

// dockerConfigJSONOf decodes the .dockerconfigjson of a Secret manifest,
// JSON or YAML.
func dockerConfigJSONOf(t *testing.T, manifest string) string {
	t.Helper()
	var s secretManifest
	var err error
	if json.Valid([]byte(manifest)) {
		err = json.Unmarshal([]byte(manifest), &s)
	} else {
		err = yaml.UnmarshalStrict([]byte(manifest), &s)
	}
	if err != nil {
		t.Fatalf("manifest: %v\n%s", err, manifest)
	}
	dec, err := base64.StdEncoding.DecodeString(s.Data[".dockerconfigjson"])
	if err != nil {
		t.Fatal(err)
	}
	return string(dec)
}
