//go:build unix

package main_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/docr-dev/docr/gen"
)

// TestFakeAPIGarbageCollectionCompletes (issue 22, item 5): a garbage
// collection started on "docr fake-api", with its default flags, succeeds,
// so that the 413 advice to garbage-collect can help. It waits for the
// fake's state to change, checking every 100 ms, with a hang guard far
// above the default --gc-duration of 1s.
func TestFakeAPIGarbageCollectionCompletes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, vars := h.startFakeAPI(t)
	api, err := gen.NewClientWithResponses(vars["DIGITALOCEAN_API_URL"], gen.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+vars["DIGITALOCEAN_TOKEN"])
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	typ := gen.GarbageCollectionTypeUntaggedManifestsAndUnreferencedBlobs
	r, err := api.RegistriesRunGarbageCollectionWithResponse(ctx, "example", gen.RegistryRunGc{Type: &typ})
	if err != nil || r.JSON201 == nil {
		t.Fatalf("start a garbage collection: %v %s", err, r.Body)
	}
	id := *r.JSON201.GarbageCollection.Uuid
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		l, err := api.RegistriesListGarbageCollectionsWithResponse(ctx, "example", nil)
		if err != nil || l.JSON200 == nil {
			t.Fatalf("list garbage collections: %v", err)
		}
		g := (*l.JSON200.GarbageCollections)[0]
		if *g.Uuid != id {
			t.Fatalf("newest garbage collection %s, want %s", *g.Uuid, id)
		}
		if *g.Status == gen.GarbageCollectionStatusSucceeded {
			// The seed's untagged manifest in repo-1 went, with its blobs.
			if *g.BlobsDeleted != 2 || *g.FreedBytes <= 0 {
				t.Errorf("the garbage collection deleted %d blobs, %d bytes; want the seed's 2 orphans", *g.BlobsDeleted, *g.FreedBytes)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the garbage collection is still %q after a minute", *g.Status)
		case <-tick.C:
		}
	}
}
