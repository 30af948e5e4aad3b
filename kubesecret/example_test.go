package kubesecret_test

import (
	"fmt"
	"log"

	"github.com/docr-dev/docr/kubesecret"
)

func ExampleNew() {
	// The Docker config.json bytes, as returned by the registry API.
	config := []byte(`{"auths":{"registry.digitalocean.com":{"auth":"ZXhhbXBsZTpleGFtcGxl"}}}`)

	s, err := kubesecret.New(config, kubesecret.Options{
		RegistryName:       "my-registry", // name defaults to "registry-my-registry"
		Namespace:          "kube-system",
		DOSecretAnnotation: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	out, err := s.YAML()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(out))
	// Output:
	// apiVersion: v1
	// data:
	//   .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeS5kaWdpdGFsb2NlYW4uY29tIjp7ImF1dGgiOiJaWGhoYlhCc1pUcGxlR0Z0Y0d4bCJ9fX0=
	// kind: Secret
	// metadata:
	//   annotations:
	//     digitalocean.com/dosecret-identifier: registry-my-registry
	//   name: registry-my-registry
	//   namespace: kube-system
	// type: kubernetes.io/dockerconfigjson
}
