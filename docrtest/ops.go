package docrtest

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Names of the endpoints the fake serves beyond the registry API spec.
// They appear in [RecordedRequest.Operation] and [Violation.Operation] and
// can be targeted by a [Fault].
const (
	// OpOAuthRevoke is POST /v1/oauth/revoke, which revokes a Docker
	// credential the API issued.
	OpOAuthRevoke = "oauth_revoke"
	// OpRegistryAuth is the token endpoint of the registry,
	// GET /v2/registry/auth, which turns an issued Docker credential into
	// a token (DOCR's https://api.digitalocean.com/v2/registry/auth).
	OpRegistryAuth = "registry_auth"
	// OpDockerRegistry is the Docker registry endpoint under /v2/ (GET /v2/,
	// blobs, manifests, uploads, tags/list, the catalog, referrers), which
	// checks tokens.
	OpDockerRegistry = "docker_registry_v2"
)

// specOperations lists the operationIds of spec/registry.yaml, as upstream
// spells them. The tests compare it with the spec in both directions.
var specOperations = []string{
	"registries_create",
	"registries_delete",
	"registries_delete_repository",
	"registries_delete_repositoryManifest",
	"registries_delete_repositoryTag",
	"registries_get",
	"registries_get_dockerCredentials",
	"registries_get_garbageCollection",
	"registries_get_options",
	"registries_get_subscription",
	"registries_list",
	"registries_list_garbageCollections",
	"registries_list_repositoriesV2",
	"registries_list_repositoryManifests",
	"registries_list_repositoryTags",
	"registries_run_garbageCollection",
	"registries_update_garbageCollection",
	"registries_update_subscription",
	"registries_validate_name",
	"registry_create",
	"registry_delete",
	"registry_delete_repositoryManifest",
	"registry_delete_repositoryTag",
	"registry_get",
	"registry_get_dockerCredentials",
	"registry_get_garbageCollection",
	"registry_get_options",
	"registry_get_subscription",
	"registry_list_garbageCollections",
	"registry_list_repositories",
	"registry_list_repositoriesV2",
	"registry_list_repositoryManifests",
	"registry_list_repositoryTags",
	"registry_run_garbageCollection",
	"registry_update_garbageCollection",
	"registry_update_subscription",
	"registry_validate_name",
}

// opAliases maps every accepted spelling of an operation to its upstream
// operationId: the upstream id itself and the Go name oapi-codegen derives
// from it (RegistriesGetDockerCredentials), which the generated code and the
// embedded spec use.
var opAliases = func() map[string]string {
	m := make(map[string]string, 2*len(specOperations)+4)
	for _, op := range specOperations {
		m[op] = op
		m[goName(op)] = op
	}
	m[OpOAuthRevoke] = OpOAuthRevoke
	m[OpRegistryAuth] = OpRegistryAuth
	m[OpDockerRegistry] = OpDockerRegistry
	return m
}()

// goName turns an upstream operationId into the identifier oapi-codegen
// generates for it: registries_get_dockerCredentials becomes
// RegistriesGetDockerCredentials.
func goName(op string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(op, "_") {
		r, n := utf8.DecodeRuneInString(part)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(part[n:])
	}
	return b.String()
}

// canonicalOp returns the upstream operationId for op, which may be spelled
// either way, and whether op names an operation the fake serves.
func canonicalOp(op string) (string, bool) {
	c, ok := opAliases[op]
	return c, ok
}

// Operations returns the operationIds of the registry API operations the
// fake implements, sorted, as the upstream DigitalOcean spec spells them
// (for example "registries_get_dockerCredentials"). A [Fault] accepts these
// names, the Go names oapi-codegen derives from them
// ("RegistriesGetDockerCredentials"), [OpOAuthRevoke], [OpRegistryAuth] and
// [OpDockerRegistry].
func Operations() []string {
	return slices.Clone(specOperations)
}
