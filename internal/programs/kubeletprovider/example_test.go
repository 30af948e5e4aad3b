package kubeletprovider_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/docr-dev/docr/docrtest"
	"github.com/docr-dev/docr/internal/programs/kubeletprovider"
)

// Main answers one request as the kubelet sends it, here against a fake
// API. The credentials in the response are masked before printing.
func ExampleMain() {
	srv, err := docrtest.Start("127.0.0.1:0", docrtest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	env := map[string]string{"DIGITALOCEAN_API_URL": srv.URL, "DIGITALOCEAN_TOKEN": srv.Token}
	stdin := strings.NewReader(`{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"registry.digitalocean.com/example/web:1.4.2"}`)
	var stdout, stderr bytes.Buffer
	code := kubeletprovider.Main(context.Background(), []string{"docr-credential-provider"}, stdin, &stdout, &stderr,
		func(k string) string { return env[k] })
	fmt.Printf("exit %d, stderr %q\n", code, stderr.String())

	var resp kubeletprovider.Response
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		fmt.Println(err)
		return
	}
	d, _ := time.ParseDuration(resp.CacheDuration)
	fmt.Println("cacheDuration within a minute of 50m:", d <= 50*time.Minute && d > 49*time.Minute)
	resp.CacheDuration = "50m0s"
	for k, a := range resp.Auth {
		resp.Auth[k] = kubeletprovider.AuthConfig{Username: a.Username[:7] + "…", Password: a.Password[:7] + "…"}
	}
	out, _ := json.MarshalIndent(resp, "", "  ")
	fmt.Println(string(out))
	// Output:
	// exit 0, stderr ""
	// cacheDuration within a minute of 50m: true
	// {
	//   "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
	//   "kind": "CredentialProviderResponse",
	//   "cacheKeyType": "Registry",
	//   "cacheDuration": "50m0s",
	//   "auth": {
	//     "registry.digitalocean.com/example/": {
	//       "username": "dop_v1_…",
	//       "password": "dop_v1_…"
	//     }
	//   }
	// }
}
