package dockerconfig_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/docr-dev/docr/dockerconfig"
	"github.com/docr-dev/docr/facade"
)

// Store a registry login in a config that has no credential helper: the
// secret goes into auths as base64("user:password"), other keys stay.
func ExampleWriter_Store() {
	dir, err := os.MkdirTemp("", "docker-config-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext": "default"}`), 0o600)

	w, err := dockerconfig.New(dockerconfig.Options{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	res, err := w.Store(ctx, facade.Credential{Host: "registry.digitalocean.com", Username: "token", Secret: "token"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("written:", res.Written)
	fmt.Println(res.Hosts[0])
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	fmt.Print(strings.ReplaceAll(string(b), "\t", "  "))

	// Storing the same login again changes nothing and writes nothing.
	res, _ = w.Store(ctx, facade.Credential{Host: "registry.digitalocean.com", Username: "token", Secret: "token"})
	fmt.Println("written again:", res.Written)

	removed, _ := w.Remove(ctx, "registry.digitalocean.com")
	fmt.Printf("removed %s (password %q), to revoke\n", removed[0].Host, removed[0].Secret)
	// Output:
	// written: true
	// registry.digitalocean.com: config file (plaintext)
	// {
	//   "auths": {
	//     "registry.digitalocean.com": {
	//       "auth": "dG9rZW46dG9rZW4="
	//     }
	//   },
	//   "currentContext": "default"
	// }
	// written again: false
	// removed registry.digitalocean.com (password "token"), to revoke
}

// Merge is the pure plaintext merge Store uses; every key docr does not own
// is kept.
func ExampleMerge() {
	out, changed, err := dockerconfig.Merge([]byte(`{"proxies":{"default":{"httpProxy":"http://proxy:3128"}}}`),
		facade.Credential{Host: "registry.digitalocean.com", Username: "u", Secret: "p"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(changed)
	fmt.Print(strings.ReplaceAll(string(out), "\t", "  "))
	// Output:
	// true
	// {
	//   "auths": {
	//     "registry.digitalocean.com": {
	//       "auth": "dTpw"
	//     }
	//   },
	//   "proxies": {
	//     "default": {
	//       "httpProxy": "http://proxy:3128"
	//     }
	//   }
	// }
}

// StoreCredentials goes from minted credentials to a merged config.json in
// one call. Here the credentials come from ParseCredentials on an answer
// the API could have given; in a program they come from
// facade.Client.DockerCredentials.
func ExampleStoreCredentials() {
	dir, err := os.MkdirTemp("", "docker-config")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{"ghcr.io":{"auth":"b3RoZXI6c2VjcmV0"}}}`), 0o600)

	creds, err := facade.ParseCredentials([]byte(`{"auths":{"registry.digitalocean.com":{"auth":"dXNlcjpzZWNyZXQ="}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := dockerconfig.StoreCredentials(context.Background(), creds, dockerconfig.Options{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Hosts)
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	fmt.Print(strings.ReplaceAll(string(b), "\t", "  "))
	// Output:
	// [registry.digitalocean.com: config file (plaintext)]
	// {
	//   "auths": {
	//     "ghcr.io": {
	//       "auth": "b3RoZXI6c2VjcmV0"
	//     },
	//     "registry.digitalocean.com": {
	//       "auth": "dXNlcjpzZWNyZXQ="
	//     }
	//   }
	// }
}
