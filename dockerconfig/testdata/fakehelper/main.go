// Command fakehelper is a docker-credential-<name> helper for the
// dockerconfig tests. Installed under any name, it keeps its credentials in
// $FAKEHELPER_DIR/<name>.json and appends "<name> <action> <input>" to
// $FAKEHELPER_DIR/calls.log (store inputs are not logged).
//
// FAKEHELPER_MODE (or FAKEHELPER_MODE_<name>) changes its behaviour:
//
//	hang     print "fakehelper: hanging" on stderr, then sleep for an hour
//	garbage  print text that is not JSON and exit 0
//	fail     print "fake failure, input: <stdin>" on stdout and stderr, exit 1
//	leak     fail erase with a message that quotes the stored secret in
//	         several encodings (to test redaction)
//	flood    print 2 MiB and exit 0
//	verbose  print a 1000-character message and exit 1
//	orphan   start a copy of itself in hang mode that inherits stdout,
//	         write its pid to $FAKEHELPER_DIR/orphan.pid, print a valid
//	         reply and exit 0
//	orphan-hang
//	         start a copy of itself in alive mode that inherits stderr (a
//	         child that does not end with the helper), write its pid to
//	         $FAKEHELPER_DIR/orphan.pid, then hang as in hang mode
//	alive    print "fakehelper: child alive" on stderr, open the FIFO
//	         $FAKEHELPER_DIR/alive for writing and keep it open while it
//	         lives (its reader sees end-of-file when it has died), and
//	         sleep for an hour
//	stderr-flood
//	         print 1 MiB on stderr, then act normally
//	env      write the names of its environment variables, one a line, to
//	         $FAKEHELPER_DIR/env-<name>-<action>, then act normally
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"
)

// hangingLine is what hang mode prints on stderr before it sleeps.
const hangingLine = "fakehelper: hanging"

type entry struct{ Username, Secret string }

type fileHelper struct{ path string }

func (h fileHelper) load() (map[string]entry, error) {
	m := map[string]entry{}
	b, err := os.ReadFile(h.path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	return m, json.Unmarshal(b, &m)
}

func (h fileHelper) save(m map[string]entry) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(h.path, b, 0o600)
}

func (h fileHelper) Add(c *credentials.Credentials) error {
	m, err := h.load()
	if err != nil {
		return err
	}
	m[c.ServerURL] = entry{c.Username, c.Secret}
	return h.save(m)
}

func (h fileHelper) Delete(url string) error {
	m, err := h.load()
	if err != nil {
		return err
	}
	if _, ok := m[url]; !ok {
		return credentials.NewErrCredentialsNotFound()
	}
	delete(m, url)
	return h.save(m)
}

func (h fileHelper) Get(url string) (string, string, error) {
	m, err := h.load()
	if err != nil {
		return "", "", err
	}
	e, ok := m[url]
	if !ok {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	return e.Username, e.Secret, nil
}

func (h fileHelper) List() (map[string]string, error) {
	m, err := h.load()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = v.Username
	}
	return out, nil
}

func main() {
	name := strings.TrimPrefix(filepath.Base(os.Args[0]), "docker-credential-")
	dir := os.Getenv("FAKEHELPER_DIR")
	mode := os.Getenv("FAKEHELPER_MODE_" + name)
	if mode == "" {
		mode = os.Getenv("FAKEHELPER_MODE")
	}
	action := ""
	if len(os.Args) > 1 {
		action = os.Args[1]
	}
	in, _ := io.ReadAll(os.Stdin)
	logged := strings.TrimSpace(string(in))
	if action == "store" {
		logged = "-"
	}
	if f, err := os.OpenFile(filepath.Join(dir, "calls.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		fmt.Fprintf(f, "%s %s %s\n", name, action, logged)
		f.Close()
	}
	switch mode {
	case "hang":
		// Tests wait for this line (on stderr) before they let the
		// helper timeout pass.
		fmt.Fprintln(os.Stderr, hangingLine)
		time.Sleep(time.Hour)
		return
	case "garbage":
		fmt.Println("this is not JSON {")
		return
	case "fail":
		fmt.Printf("fake failure, input: %s\n", in)
		fmt.Fprintf(os.Stderr, "fake failure, input: %s\n", in)
		os.Exit(1)
	case "flood":
		fmt.Print(strings.Repeat("x", 2<<20))
		return
	case "verbose":
		fmt.Print(strings.Repeat("é", 500))
		os.Exit(1)
	case "leak":
		if action == "erase" {
			_, secret, _ := fileHelper{path: filepath.Join(dir, name+".json")}.Get(strings.TrimSpace(string(in)))
			q, _ := json.Marshal(secret)
			fmt.Printf("cannot erase %s: secret %s, quoted %s\n", in, secret, q)
			os.Exit(1)
		}
	case "orphan":
		self, _ := os.Executable()
		cmd := exec.Command(self, "get")
		cmd.Env = append(os.Environ(), "FAKEHELPER_MODE=hang", "FAKEHELPER_MODE_"+name+"=hang")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		_ = os.WriteFile(filepath.Join(dir, "orphan.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
		fmt.Println(`{"ServerURL":"x","Username":"u","Secret":"s"}`)
		return
	case "orphan-hang":
		self, _ := os.Executable()
		cmd := exec.Command(self, "get")
		cmd.Env = append(os.Environ(), "FAKEHELPER_MODE=alive", "FAKEHELPER_MODE_"+name+"=alive")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		_ = os.WriteFile(filepath.Join(dir, "orphan.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
		fmt.Fprintln(os.Stderr, hangingLine)
		time.Sleep(time.Hour)
		return
	case "alive":
		fmt.Fprintln(os.Stderr, "fakehelper: child alive")
		f, err := os.OpenFile(filepath.Join(dir, "alive"), os.O_WRONLY, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		time.Sleep(time.Hour)
		return
	case "stderr-flood":
		fmt.Fprint(os.Stderr, strings.Repeat("e", 1<<20))
	case "env":
		var names []string
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			names = append(names, k)
		}
		_ = os.WriteFile(filepath.Join(dir, "env-"+name+"-"+action), []byte(strings.Join(names, "\n")+"\n"), 0o600)
	}
	h := fileHelper{path: filepath.Join(dir, name+".json")}
	if err := credentials.HandleCommand(h, action, bytes.NewReader(in), os.Stdout); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
