// Command provider_floor is the floor a Go kubelet credential provider
// stands on, for BenchmarkProviderProcess: it links net/http, crypto/tls and
// encoding/json, reads one small file (the API token), makes one HTTPS-capable
// GET round trip to the URL given as its argument, decodes the JSON answer and
// prints one line. Nothing else: no generated client, no validation, no
// retries.
package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: provider_floor TOKEN-FILE URL")
		os.Exit(2)
	}
	tok, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	req, err := http.NewRequest(http.MethodGet, os.Args[2], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	c := &http.Client{
		Timeout:   20 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}},
	}
	resp, err := c.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	var body struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "bad answer", resp.StatusCode, err)
		os.Exit(1)
	}
	fmt.Printf("{\"status\":%d,\"hosts\":%d}\n", resp.StatusCode, len(body.Auths))
}
