package ociregistry_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/docr-dev/docr/docrtest/ociregistry"
)

// An open registry (no Accounts): a bare engine, here capped at 1 MiB.
func ExampleNew() {
	reg, err := ociregistry.New(ociregistry.Options{StorageCap: 1 << 20})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(reg)
	defer srv.Close()

	blob := []byte("hello, registry")
	sum := sha256.Sum256(blob)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	resp, err := http.Post(srv.URL+"/v2/acme/app/blobs/uploads/?digest="+digest, "application/octet-stream", bytes.NewReader(blob))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("Location") == "/v2/acme/app/blobs/"+digest)

	resp, err = http.Get(srv.URL + "/v2/acme/app/blobs/" + digest)
	if err != nil {
		panic(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, string(got))
	fmt.Println("held:", reg.Held())
	// Output:
	// 201 Created true
	// 200 OK hello, registry
	// held: 15
}

// With Accounts, the registry challenges with DOCR's Bearer flow; the
// token endpoint is ServeToken.
func ExampleRegistry_ServeToken() {
	acc := &accounts{}
	acc.add("user", "secret", "acme", true)
	reg, err := ociregistry.New(ociregistry.Options{Accounts: acc, Service: func() string { return "registry.example" }})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/registry/auth", reg.ServeToken)
	mux.Handle("/", reg)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v2/acme/app/tags/list")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println(challenge(resp.Header.Get("WWW-Authenticate"))["scope"])

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/registry/auth?service=registry.example&scope=repository:acme/app:pull", nil)
	req.SetBasicAuth("user", "secret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// 401 Unauthorized
	// repository:acme/app:pull
	// 200 OK
}
