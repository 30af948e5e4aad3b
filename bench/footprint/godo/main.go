// Command godo is footprint/docr written with godo, DigitalOcean's
// handwritten client: read-only Docker credentials for the account's
// registry, printed as config.json.
package main

import (
	"context"
	"fmt"
	"net/url"
	"os"

	"github.com/digitalocean/godo"
)

func main() {
	c := godo.NewFromToken(os.Getenv("DIGITALOCEAN_TOKEN"))
	if u := os.Getenv("DIGITALOCEAN_API_URL"); u != "" {
		base, err := url.Parse(u + "/")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		c.BaseURL = base
	}
	expiry := 30 * 24 * 60 * 60
	creds, _, err := c.Registry.DockerCredentials(context.Background(), &godo.RegistryDockerCredentialsRequest{ExpirySeconds: &expiry})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(creds.DockerConfigJSON)
}
