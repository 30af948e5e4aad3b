// Command dockerclient is a tiny Docker-style registry client for docr's
// end-to-end tests. It resolves the credentials for a registry host the way
// the docker CLI does (credHelpers[host], then credsStore, then
// auths[host].auth in $DOCKER_CONFIG/config.json or ~/.docker/config.json),
// running docker-credential-<helper> through the credential helper
// protocol, and then sends one request to the registry through the
// registry token flow, as docker does: without credentials first; on a
// Bearer challenge, it fetches a token from the challenge's realm for its
// service and scope with the credential as basic auth, and sends the
// request again with the token:
//
//	dockerclient HOST [METHOD PATH]    (default: GET /v2/)
//
// It prints "route=<where the credential came from> status=<code>", the
// code being the registry's last answer or, if the token endpoint refused,
// the token endpoint's ("status=401 token=refused"), and exits 0 for a 2xx
// answer, 1 otherwise. It never prints a secret.
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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
	hc := &http.Client{Timeout: 10 * time.Second}
	status, challenge, err := send(hc, method, "http://"+host+path, "")
	if err != nil {
		return err
	}
	suffix := ""
	if status == http.StatusUnauthorized && strings.HasPrefix(challenge, "Bearer ") && (user != "" || pass != "") {
		tok, tstatus, err := fetchToken(hc, challenge, user, pass)
		if err != nil {
			return err
		}
		if tok == "" {
			status, suffix = tstatus, " token=refused"
		} else if status, _, err = send(hc, method, "http://"+host+path, tok); err != nil {
			return err
		}
	}
	fmt.Printf("route=%s status=%d%s\n", route, status, suffix)
	if status/100 != 2 {
		os.Exit(1)
	}
	return nil
}

// send sends one request, with a bearer token if tok is set, and returns
// the status and the WWW-Authenticate challenge.
func send(hc *http.Client, method, url, tok string) (int, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return 0, "", err
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), nil
}

var challengeParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// fetchToken asks the challenge's realm for a token for its service and
// scope, with the credential as basic auth. It returns "" and the status
// if the realm refuses.
func fetchToken(hc *http.Client, challenge, user, pass string) (string, int, error) {
	p := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(challenge, -1) {
		p[m[1]] = m[2]
	}
	q := url.Values{"service": {p["service"]}}
	if p["scope"] != "" {
		q.Set("scope", p["scope"])
	}
	req, err := http.NewRequest(http.MethodGet, p["realm"]+"?"+q.Encode(), nil)
	if err != nil {
		return "", 0, err
	}
	req.SetBasicAuth(user, pass)
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode, nil
	}
	var tr struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		return "", 0, fmt.Errorf("token response: %w", err)
	}
	if tr.Token == "" {
		tr.Token = tr.AccessToken
	}
	return tr.Token, resp.StatusCode, nil
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
