package facade_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
)

// fakeAPI is a tiny stand-in for the DigitalOcean API.
func fakeAPI() *httptest.Server {
	auth := base64.StdEncoding.EncodeToString([]byte("example-user:example:secret"))
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer dop_v1_example" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"id":"unauthorized","message":"Unable to authenticate you."}`)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/docker-credentials"):
			fmt.Fprintf(w, `{"auths":{"registry.digitalocean.com":{"auth":%q}}}`, auth)
		case r.URL.Path == "/v2/registries/example/repositories/web/tags":
			if r.URL.Query().Get("page") == "" {
				fmt.Fprint(w, `{"tags":[{"tag":"v1"},{"tag":"v2"}],"links":{"pages":{"next":"https://api.digitalocean.com/v2/registries/example/repositories/web/tags?page=2&per_page=2"}},"meta":{"total":3}}`)
				return
			}
			fmt.Fprint(w, `{"tags":[{"tag":"latest"}],"links":{"pages":{"prev":"x"}},"meta":{"total":3}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"id":"not_found","message":"The resource you requested could not be found.","request_id":"4d9d8375"}`)
		}
	}))
}

func ExampleNew() {
	srv := fakeAPI()
	defer srv.Close()

	c, err := facade.New(" dop_v1_example\n", facade.WithBaseURL(srv.URL), facade.WithHTTPClient(srv.Client()), facade.WithTimeout(10*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Every call of the generated API goes through the same auth and retry
	// layers; Check turns a non-2xx answer into an *APIError.
	_, err = facade.Check(c.API().RegistriesGetWithResponse(context.Background(), "missing"))
	fmt.Println(errors.Is(err, facade.ErrNotFound))
	fmt.Println(err)

	_, err = facade.New("")
	fmt.Println(err)
	// Output:
	// true
	// docr: GET /v2/registries/missing: 404 Not Found (not_found): The resource you requested could not be found. [request id 4d9d8375]
	// docr: invalid API token: empty
}

func ExampleClient_DockerCredentials() {
	srv := fakeAPI()
	defer srv.Close()
	c, err := facade.New("dop_v1_example", facade.WithBaseURL(srv.URL), facade.WithHTTPClient(srv.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	creds, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{
		Registry:  "example",
		ReadWrite: true,
		Expiry:    time.Hour,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, host := range creds.Hosts() {
		a := creds.Config.Auths[host]
		fmt.Println(host, a.Username, len(a.Secret))
	}
	fmt.Println(time.Until(creds.ExpiresAt).Round(time.Hour))
	fmt.Printf("%v\n", creds.Raw) // fmt never prints the secrets
	// Output:
	// registry.digitalocean.com example-user 14
	// 1h0m0s
	// [REDACTED 87 bytes]
}

func ExampleClient_Tags() {
	srv := fakeAPI()
	defer srv.Close()
	c, err := facade.New("dop_v1_example", facade.WithBaseURL(srv.URL), facade.WithHTTPClient(srv.Client()), facade.WithPerPage(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	for tag, err := range c.Tags(context.Background(), "example", "web") {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(*tag.Tag)
	}
	// Output:
	// v1
	// v2
	// latest
}

// Tests that mock the API with httpmock pass its transport with
// WithTransport: it sits under docr's auth layer, so the token is still
// sent, and docrtest.CredentialsBody builds a valid answer.
func ExampleWithTransport() {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodGet, "https://api.digitalocean.com/v2/registries/example/docker-credentials",
		func(req *http.Request) (*http.Response, error) {
			if req.Header.Get("Authorization") != "Bearer dop_v1_example" {
				return httpmock.NewStringResponse(http.StatusUnauthorized, `{"id":"unauthorized","message":"Unable to authenticate you."}`), nil
			}
			resp := httpmock.NewBytesResponse(http.StatusOK, docrtest.CredentialsBody("registry.digitalocean.com", "user", "secret:with:colons"))
			resp.Header.Set("Content-Type", "application/json")
			return resp, nil
		})
	c, err := facade.New("dop_v1_example", facade.WithTransport(mt))
	if err != nil {
		fmt.Println(err)
		return
	}
	creds, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{Registry: "example", Expiry: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	cred, _ := creds.For(facade.DefaultRegistryHost)
	fmt.Println(cred.Username, cred.Secret)
	fmt.Println(cred) // fmt never prints a secret
	fmt.Println(mt.GetCallCountInfo())
	// Output:
	// user secret:with:colons
	// Credential{host: "registry.digitalocean.com", username: [REDACTED], secret: [REDACTED]}
	// map[GET https://api.digitalocean.com/v2/registries/example/docker-credentials:1]
}
