// Command docr is the smallest useful docr program, for footprint.sh: it
// gets read-only Docker credentials for the account's registry with the
// token from $DIGITALOCEAN_TOKEN and prints the config.json.
// $DIGITALOCEAN_API_URL, if set, replaces the API endpoint (e.g. a fake).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/docr-dev/docr/facade"
)

func main() {
	var opts []facade.Option
	if u := os.Getenv("DIGITALOCEAN_API_URL"); u != "" {
		opts = append(opts, facade.WithBaseURL(u))
	}
	c, err := facade.NewFromEnv(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	creds, err := c.DockerCredentials(context.Background(), facade.CredentialsRequest{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(creds.Raw)
}
