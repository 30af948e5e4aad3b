package facade_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
)

// A Source gives go-containerregistry DOCR credentials through
// authn.NewKeychainFromHelper: no config.json, no helper process. It mints
// one short-lived read-only credential and reuses it for every pull until
// ten minutes before it expires. The fake API stands in for DigitalOcean
// here, with its registry on its own address.
func ExampleSource() {
	srv, err := docrtest.Start("127.0.0.1:0", docrtest.WithSelfRegistryHost(),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
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
	src, err := facade.NewSource(c, facade.SourceOptions{
		// read-only, for one hour; Host defaults to registry.digitalocean.com
		Request: facade.CredentialsRequest{Registry: "example", Expiry: time.Hour},
		Host:    srv.RegistryHost(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	kc := authn.NewKeychainFromHelper(src)

	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	for _, tag := range []string{"latest", "v1"} {
		ref, err := name.ParseReference(srv.RegistryHost()+"/example/repo-1:"+tag, name.Insecure)
		if err != nil {
			fmt.Println(err)
			return
		}
		desc, err := remote.Get(ref, remote.WithAuthFromKeychain(kc), remote.WithTransport(tr))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(tag, desc.MediaType)
	}
	fmt.Println("credentials minted:", len(srv.Credentials()))
	creds, err := src.Credentials(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("read-write:", creds.ReadWrite, "lifetime:", time.Until(creds.ExpiresAt).Round(time.Hour))
	// Output:
	// latest application/vnd.oci.image.manifest.v1+json
	// v1 application/vnd.oci.image.manifest.v1+json
	// credentials minted: 1
	// read-write: false lifetime: 1h0m0s
}
