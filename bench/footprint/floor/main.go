// Command floor is the floor for any Go credential helper, for the start-up
// and cold-build benchmarks: it links net/http, crypto/tls and
// encoding/json (as every helper that talks to an HTTPS API and speaks JSON
// must), reads one small JSON file (the path in its first argument), and
// prints one line. It makes no request.
package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

// entry is what the file holds, as a helper's credential cache would.
type entry struct {
	Username string    `json:"username"`
	Password string    `json:"password"`
	Expires  time.Time `json:"expires_at"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor FILE")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// A client as a helper would build it, so that net/http and crypto/tls
	// are linked and initialised as in a real helper; it sends nothing.
	client := &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}},
	}
	out, err := json.Marshal(map[string]string{"Username": e.Username, "Secret": e.Password})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s %s\n", out, client.Timeout)
}
