// Command fakestore is a Docker credential store for docr's end-to-end
// tests. Installed as docker-credential-<name> (a copy or a symbolic link),
// it keeps its credentials in $FAKESTORE_DIR/<name>.json and appends
// "<name> <action>" to $FAKESTORE_DIR/calls.log. With FAKESTORE_FAIL set to
// an action ("store", "get", "erase"), that action fails.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker-credential-helpers/credentials"
)

type entry struct{ Username, Secret string }

type store struct{ path string }

func (s store) load() (map[string]entry, error) {
	m := map[string]entry{}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	return m, json.Unmarshal(b, &m)
}

func (s store) save(m map[string]entry) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(s.path, b, 0o600)
}

func (s store) Add(c *credentials.Credentials) error {
	m, err := s.load()
	if err != nil {
		return err
	}
	m[c.ServerURL] = entry{c.Username, c.Secret}
	return s.save(m)
}

func (s store) Delete(serverURL string) error {
	m, err := s.load()
	if err != nil {
		return err
	}
	if _, ok := m[serverURL]; !ok {
		return credentials.NewErrCredentialsNotFound()
	}
	delete(m, serverURL)
	return s.save(m)
}

func (s store) Get(serverURL string) (string, string, error) {
	m, err := s.load()
	if err != nil {
		return "", "", err
	}
	e, ok := m[serverURL]
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	return e.Username, e.Secret, nil
}

func (s store) List() (map[string]string, error) {
	m, err := s.load()
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v.Username
	}
	return out, nil
}

func main() {
	name := strings.TrimPrefix(filepath.Base(os.Args[0]), "docker-credential-")
	dir := os.Getenv("FAKESTORE_DIR")
	action := ""
	if len(os.Args) > 1 {
		action = os.Args[1]
	}
	if f, err := os.OpenFile(filepath.Join(dir, "calls.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		fmt.Fprintf(f, "%s %s\n", name, action)
		f.Close()
	}
	if action != "" && os.Getenv("FAKESTORE_FAIL") == action {
		fmt.Println("fakestore: failing on purpose")
		os.Exit(1)
	}
	credentials.Serve(store{path: filepath.Join(dir, name+".json")})
}
