//go:build unix

package main_test

import (
	"sync"
	"testing"
)

// Issue 22, item 7: parallel logins on one DOCKER_CONFIG. The lookup of
// the credential to replace, the store and the decision to revoke are one
// locked update, so each login revokes exactly the one it replaced: of
// all the credentials minted, exactly one stays valid, and it is the one
// config.json holds.
func TestConcurrentLoginsLeaveOneValid(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const n = 8
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Go(func() { results[i] = h.docr("login", "--expiry-seconds", "3600") })
	}
	wg.Wait()
	for _, r := range results {
		ok(t, r)
	}
	issued := h.srv.Credentials()
	if len(issued) != n {
		t.Fatalf("%d credentials minted, want %d", len(issued), n)
	}
	var valid []string
	for _, c := range issued {
		if !c.Revoked {
			valid = append(valid, c.Password)
		}
	}
	if len(valid) != 1 {
		t.Fatalf("%d of %d minted credentials are still valid, want exactly 1", len(valid), n)
	}
	wantJSONFile(t, h.docker+"/config.json", `{"auths": {"`+h.srv.RegistryHost()+`": {"auth": "`+b64(valid[0]+":"+valid[0])+`"}}}`)
	if got := recordedFingerprints(t, h); len(got) != 1 || got[0] != sha256Hex(valid[0]) {
		t.Errorf("record holds %d fingerprints, want the valid one only", len(got))
	}
}
