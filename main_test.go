package docr_test

import (
	"os"
	"testing"

	"github.com/docr-dev/docr/internal/testsupport/testguard"
)

// TestMain fails the run if a test changed the real ~/.docker or docr's
// credential helper cache (the journeys here write Docker configs).
func TestMain(m *testing.M) {
	os.Exit(testguard.Main(m.Run))
}
