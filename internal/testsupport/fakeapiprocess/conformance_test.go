package fakeapiprocess

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The floor of the conformance run: the pass rate (passed / tests, by the
// suite's own totals, skipped tests counted as not passed) and the number
// of tests this fake reached. Move them up, never down.
const (
	minPassRate = 1.0
	minTests    = 986
)

// suiteEnv is the configuration of the suite's run (its legacy variables
// as the suite documents them, plus the switches of two features the fake
// serves beyond the 1.1 defaults: upload cancellation and tag parameters).
func suiteEnv(apiURL, user, pass string) []string {
	return []string{
		"OCI_ROOT_URL=" + apiURL,
		"OCI_NAMESPACE=example/conformance/repo1",
		"OCI_CROSSMOUNT_NAMESPACE=example/conformance/repo2",
		"OCI_USERNAME=" + user,
		"OCI_PASSWORD=" + pass,
		"OCI_TEST_PULL=1",
		"OCI_TEST_PUSH=1",
		"OCI_TEST_CONTENT_DISCOVERY=1",
		"OCI_TEST_CONTENT_MANAGEMENT=1",
		"OCI_API_BLOBS_UPLOAD_CANCEL=true",
		"OCI_API_MANIFESTS_TAG_PARAM=true",
	}
}

// junit is what the test reads of the suite's junit.xml.
type junit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Disabled int `xml:"disabled,attr"`
	Suites   []struct {
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Status    string `xml:"status,attr"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestOCIConformance starts "docr fake-api" with its registry on its own
// address, mints a read-write credential with "docr docker-config
// --read-write", runs the suite with it and checks junit.xml against the
// floor. The fake's log shows that the suite went through the token
// endpoint.
func TestOCIConformance(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f := startFake(ctx, t, "--storage-cap", "256MiB")
	user, pass := f.mint(ctx)

	dir := t.TempDir()
	results := filepath.Join(dir, "results")
	run := exec.CommandContext(ctx, filepath.Join(bin, "conformance.test"))
	run.Dir = dir
	run.Env = append(append(slices.Clone(f.env), suiteEnv(f.apiURL(), user, pass)...), "OCI_RESULTS_DIR="+results)
	out, runErr := run.CombinedOutput()
	f.stop()
	data, err := os.ReadFile(filepath.Join(results, "junit.xml"))
	if err != nil {
		t.Fatalf("the suite wrote no junit.xml (%v): %v\n%s", runErr, err, redact(out, pass))
	}
	var j junit
	if err := xml.Unmarshal(data, &j); err != nil || len(j.Suites) != 1 {
		t.Fatalf("junit.xml: %v", err)
	}

	// All four categories ran.
	var config string
	for _, p := range j.Suites[0].Properties {
		if p.Name == "Config" {
			config = p.Value
		}
	}
	for _, want := range []string{"pull: true", "push: true", "list: true", "referrer: true", "delete: true", "uploadCancel: true", "tagParam: true"} {
		if !strings.Contains(config, want) {
			t.Errorf("the suite ran without %q", want)
		}
	}
	// The suite went through the token endpoint, and no credential came
	// back in its report.
	granted := regexp.MustCompile(`operation=registry_auth status=200`).FindAllString(f.stderr(), -1)
	if len(granted) == 0 {
		t.Errorf("the fake's log shows no token granted")
	}
	if bytes.Contains(data, []byte(pass)) {
		t.Errorf("junit.xml holds the credential")
	}

	passed := j.Tests - j.Failures - j.Errors - j.Skipped
	rate := float64(passed) / float64(j.Tests)
	var failing []string
	statuses := map[string]int{}
	for _, c := range j.Suites[0].Cases {
		statuses[c.Status]++
		if c.Status != "passed" {
			first, _, _ := strings.Cut(strings.TrimSpace(c.SystemOut), "\n")
			failing = append(failing, fmt.Sprintf("%s %s: %s", c.Status, c.Name, first))
		}
	}
	t.Logf("OCI conformance: %d of %d tests passed (%.1f%%); %d failed, %d errors, %d skipped, %d disabled; testcases by status %v; %d tokens granted",
		passed, j.Tests, 100*rate, j.Failures, j.Errors, j.Skipped, j.Disabled, statuses, len(granted))
	for _, f := range failing {
		t.Log(f)
	}
	if rate < minPassRate || j.Tests < minTests {
		t.Fatalf("pass rate %.4f over %d tests, below the floor of %.4f over %d tests", rate, j.Tests, minPassRate, minTests)
	}
}

// redact hides a secret in output shown on failure.
func redact(b []byte, secret string) []byte {
	return bytes.ReplaceAll(b, []byte(secret), []byte("REDACTED"))
}
