package docrtest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
)

// Start runs the fake outside a Go test (NewServer is the same for a test,
// with t.Cleanup). Point any client at srv.URL with srv.Token; here, docr's
// facade gets credentials, and the fake records what it issued.
func ExampleStart() {
	srv, err := docrtest.Start("127.0.0.1:0", docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	c, err := facade.New(srv.Token, facade.WithBaseURL(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	creds, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{Registry: "example", Expiry: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("hosts:", creds.Hosts())
	for _, ic := range srv.Credentials() {
		fmt.Printf("issued for %s: read-write=%v, expiry=%ds, revoked=%v\n", ic.Registry, ic.ReadWrite, ic.ExpirySeconds, ic.Revoked)
	}
	// Output:
	// hosts: [registry.digitalocean.com]
	// issued for example: read-write=false, expiry=3600s, revoked=false
}

// Inject makes the fake misbehave: here the next credentials call answers
// 503, and docr's client retries it.
func ExampleServer_Inject() {
	srv, err := docrtest.Start("127.0.0.1:0", docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	if err := srv.Inject(docrtest.Fault{Op: "registry_get_dockerCredentials", Status: 503}); err != nil {
		fmt.Println(err)
		return
	}
	c, err := facade.New(srv.Token, facade.WithBaseURL(srv.URL),
		facade.WithRetry(facade.RetryPolicy{BaseDelay: time.Millisecond}))
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{}); err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Status)
	}
	// Output:
	// GET /v2/registry/docker-credentials 503
	// GET /v2/registry/docker-credentials 200
}
