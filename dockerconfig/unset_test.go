//go:build unix

package dockerconfig

import (
	"os"
	"testing"
)

// TestUnsetCredHelper: credHelpers[host] goes only when it names the
// helper; an emptied credHelpers goes entirely; other keys stay; a missing
// config is not created.
func TestUnsetCredHelper(t *testing.T) {
	e := setupEnv(t)
	w := newWriter(t, "", nil)
	if removed, err := w.UnsetCredHelper(ctx, "h", "docr"); err != nil || removed {
		t.Errorf("missing config: %v %v", removed, err)
	}
	if _, err := os.Stat(e.cfg); !os.IsNotExist(err) {
		t.Errorf("config created: %v", err)
	}
	writeFile(t, e.cfg, `{"credHelpers":{"gcr.io":"gcloud","h":"docr"},"x":1}`, 0o600)
	for _, tc := range []struct {
		host, helper string
		removed      bool
		want         string
	}{
		{"h", "other", false, `{"credHelpers":{"gcr.io":"gcloud","h":"docr"},"x":1}`},
		{"h", "docr", true, `{"credHelpers":{"gcr.io":"gcloud"},"x":1}`},
		{"h", "docr", false, `{"credHelpers":{"gcr.io":"gcloud"},"x":1}`},
		{"gcr.io", "gcloud", true, `{"x":1}`},
	} {
		removed, err := w.UnsetCredHelper(ctx, tc.host, tc.helper)
		if err != nil || removed != tc.removed {
			t.Errorf("UnsetCredHelper(%q, %q) = %v, %v; want %v", tc.host, tc.helper, removed, err, tc.removed)
		}
		if got := compact(t, []byte(readFile(t, e.cfg))); got != tc.want {
			t.Errorf("after UnsetCredHelper(%q, %q): %s\nwant %s", tc.host, tc.helper, got, tc.want)
		}
	}
}
