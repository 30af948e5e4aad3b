// Command dockerclient is a tiny Docker-style registry client for docr's
// end-to-end tests. It resolves the credentials for a registry host the way
// the docker CLI does (credHelpers[host], then credsStore, then
// auths[host].auth in $DOCKER_CONFIG/config.json or ~/.docker/config.json),
// running docker-credential-<helper> through the credential helper
// protocol, and then sends one request to the registry with basic auth:
//
//	dockerclient HOST [METHOD PATH]    (default: GET /v2/)
//
// It prints "route=<where the credential came from> status=<code>" and
// exits 0 for a 2xx answer, 1 otherwise. It never prints a secret.
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
)

type config struct {
	Auths       map[string]struct{ Auth string } `json:"auths"`
	CredsStore  string                           `json:"credsStore"`
	CredHelpers map[string]string                `json:"credHelpers"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dockerclient:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 && len(args) != 3 {
		return errors.New("usage: dockerclient HOST [METHOD PATH]")
	}
	host, method, path := args[0], http.MethodGet, "/v2/"
	if len(args) == 3 {
		method, path = args[1], args[2]
	}
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		dir = filepath.Join(os.Getenv("HOME"), ".docker")
	}
	var cfg config
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err == nil {
		if err := json.Unmarshal(data, &cfg); err != nil {
			return fmt.Errorf("config.json: %w", err)
		}
	}
	route, user, pass, err := resolve(cfg, host)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, "http://"+host+path, nil)
	if err != nil {
		return err
	}
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	fmt.Printf("route=%s status=%d\n", route, resp.StatusCode)
	if resp.StatusCode/100 != 2 {
		os.Exit(1)
	}
	return nil
}

// resolve finds the credential for host as the docker CLI does.
func resolve(cfg config, host string) (route, user, pass string, err error) {
	helper, route := cfg.CredHelpers[host], "credHelpers:"+cfg.CredHelpers[host]
	if helper == "" && cfg.CredsStore != "" {
		helper, route = cfg.CredsStore, "credsStore:"+cfg.CredsStore
	}
	if helper != "" {
		c, err := client.Get(client.NewShellProgramFunc("docker-credential-"+helper), host)
		if credentials.IsErrCredentialsNotFound(err) {
			return route + ":none", "", "", nil
		}
		if err != nil {
			return "", "", "", fmt.Errorf("%s: %w", route, err)
		}
		return route, c.Username, c.Secret, nil
	}
	a, ok := cfg.Auths[host]
	if !ok || a.Auth == "" {
		return "none", "", "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(a.Auth)
	if err != nil {
		return "", "", "", errors.New("auths: auth is not base64")
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", "", errors.New("auths: auth has no colon")
	}
	return "auths", user, pass, nil
}
