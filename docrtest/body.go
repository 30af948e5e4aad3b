package docrtest

import (
	"encoding/base64"
	"encoding/json"

	"github.com/docr-dev/docr/gen"
)

// CredentialsBody is a valid answer of the docker-credentials endpoints
// for one credential: {"auths":{host:{"auth":base64(username:secret)}}},
// encoded from gen's types. Tests that mock the API with httpmock (or any
// other transport) serve it instead of writing the JSON by hand.
func CredentialsBody(host, username, secret string) []byte {
	auth := base64.StdEncoding.EncodeToString([]byte(username + ":" + secret))
	b, err := json.Marshal(gen.DockerCredentials{Auths: map[string]gen.DockerAuth{host: {Auth: &auth}}})
	if err != nil {
		panic("docrtest: encoding a credentials body: " + err.Error()) // cannot happen: strings only
	}
	return b
}
