package docrtest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net/http"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/facade"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// WithSelfRegistryHost makes the fake a local DOCR: credentials it issues
// name its own address, where an OCI registry serves pushes and pulls, and
// the API lists what was pushed.
func ExampleWithSelfRegistryHost() {
	srv, err := docrtest.Start("127.0.0.1:0", docrtest.WithSelfRegistryHost(),
		docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := facade.New(srv.Token, facade.WithBaseURL(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	creds, err := c.DockerCredentials(ctx, facade.CredentialsRequest{Registry: "example", ReadWrite: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	a := creds.Config.Auths[srv.RegistryHost()]
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	ref, err := name.ParseReference(srv.RegistryHost()+"/example/app:v1", name.Insecure)
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err := random.Image(1000, 1, random.WithSource(rand.NewSource(1)))
	if err != nil {
		fmt.Println(err)
		return
	}
	err = remote.Write(ref, img, remote.WithTransport(tr), remote.WithContext(ctx),
		remote.WithAuth(&authn.Basic{Username: a.Username, Password: a.Secret}))
	if err != nil {
		fmt.Println(err)
		return
	}
	tags, err := facade.Check(c.API().RegistriesListRepositoryTagsWithResponse(ctx, "example", "app", nil))
	if err != nil {
		fmt.Println(err)
		return
	}
	d, _ := img.Digest()
	for _, t := range *tags.JSON200.Tags {
		fmt.Println(*t.Repository, *t.Tag, *t.ManifestDigest == d.String())
	}
	// Output:
	// app v1 true
}
