package paging

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/docr-dev/docr/gen"
)

// checkDecodePage checks that decodePage, which streams the items, returns
// what json.Unmarshal into the generated response type returns (what the
// generated Parse functions do), error or not.
func checkDecodePage(t *testing.T, body string) {
	t.Helper()
	var got, want gen.AllRepositoriesV2Response
	gerr := decodePage(strings.NewReader(body), &got, func(p *gen.AllRepositoriesV2Response) **[]gen.RepositoryV2 { return &p.Repositories }, 2)
	werr := json.Unmarshal([]byte(body), &want)
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("%q: err = %v, json.Unmarshal %v", body, gerr, werr)
	}
	if gerr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: got %+v, json.Unmarshal %+v", body, got, want)
	}
}

func TestDecodePageMatchesUnmarshal(t *testing.T) {
	t.Parallel()
	for _, body := range decodePageSeeds {
		checkDecodePage(t, body)
	}
}

var decodePageSeeds = []string{
	``, ` `, `null`, ` null `, `nul`, `null x`, `{}`, ` {} ` + "\n", `[]`, `"x"`, `1`, `true`,
	`{"repositories":null}`, `{"repositories":[]}`, `{"repositories":[{"name":"a"}]}`,
	`{"repositories":[{"name":"a"},{"name":"b","tag_count":2},{}]}`,
	`{"repositories":{}}`, `{"repositories":"x"}`, `{"repositories":[1]}`, `{"repositories":[{"name":1}]}`,
	`{"repositories":[{"name":"a"}],"repositories":[{"name":"b"}]}`, `{"repositories":[{"name":"a"}],"repositories":null}`,
	`{"repositories":[{"name":"a","tag_count":2},{"name":"b"}],"Repositories":[{"name":"c"}]}`, `{"repositories":[{"name":"a"}],"repositories":[]}`,
	`{"REPOSITORIES":[{"name":"a"}],"meta":{"total":2},"meta":{}}`, `{"links":{"pages":{"next":"a"}},"links":{"pages":{"last":"b"}}}`,
	`{"Repositories":[{"name":"a"}]}`,
	`{"Links":{"pages":{"next":"n"}},"repositories":[{}]}`, `{"LINKS":{"pages":{}},"META":{"total":3}}`,
	`{"links":{"pages":{"next":""}}}`, `{"links":null}`, `{"links":[]}`, `{"links":{"pages":null}}`, `{"meta":"x"}`,
	`{"meta":{"total":null}}`, `{"meta":{"total":1.5}}`,
	`{"links":{"pages":{"next":"a"}},"links":{"pages":{}}}`, `{"links":{"pages":{"next":"a"}},"links":null}`,
	`{"x":[1,{"a":2}],"y":"z","repositories":[{"name":"a"}],"z":null}`,
	`{} x`, `{}{}`, `{} {}`, `{"repositories":[{"name":"a"}]`, `{"repositories":[{"name":"a"},`,
	`{"repositories":[{"name":"a"}`, `{"repositories"`, `{"repositories":`, `{"a":1,}`, `{,}`, `{"a" 1}`,
	`{"repositories":[{"name":"a"}]]`, `{"repositories":[,]}`, `{"x":[}`,
	"{\"repositories\":[{\"name\":\"\xff\"}]}",
}

func FuzzDecodePage(f *testing.F) {
	for _, s := range decodePageSeeds {
		f.Add(s)
	}
	f.Fuzz(checkDecodePage)
}
