// Package leandeps holds no code, only a test: the programs that Docker or a
// kubelet runs on every pull (cmd/docker-credential-docr,
// cmd/docr-credential-provider) and the packages they are built from must
// not link the fake API (docrtest), kin-openapi, jsonschema, httpmock,
// net/http/httptest or package testing, nor what only the docr command
// needs: kubesecret, dockerconfig and YAML libraries. Each would cost every
// pull its start-up time and binary size for code that the program never
// runs.
//
// Neither they nor the library packages (facade, dockerconfig, kubesecret,
// gen) may link what docr-controller is built on: the Kubernetes client
// libraries (k8s.io/...), controller-runtime and the Prometheus client.
package leandeps
