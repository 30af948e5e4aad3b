// Package kubesecret turns Docker registry credentials (the bytes of a Docker
// config.json, as issued by DigitalOcean Container Registry) into a Kubernetes
// Secret of type kubernetes.io/dockerconfigjson, rendered as YAML or JSON
// ready for `kubectl apply -f -`.
//
// The package has no Kubernetes client dependencies: [Secret] mirrors the
// subset of the core/v1 Secret object that such a manifest needs. The Docker
// config bytes are stored unchanged under the ".dockerconfigjson" data key
// (base64-encoded in the output, as Kubernetes requires), and they never
// appear in error messages because they hold a credential.
package kubesecret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"sigs.k8s.io/yaml"
)

const (
	// APIVersion is the apiVersion of a generated Secret.
	APIVersion = "v1"
	// Kind is the kind of a generated Secret.
	Kind = "Secret"
	// SecretType is the type of a generated Secret.
	SecretType = "kubernetes.io/dockerconfigjson"
	// DockerConfigJSONKey is the data key that holds the Docker config.json
	// bytes in a Secret of type [SecretType].
	DockerConfigJSONKey = ".dockerconfigjson"
	// DOSecretAnnotation is the annotation key recognised by DigitalOcean's
	// DOSecret operator in DOKS clusters, which copies an annotated Secret to
	// all namespaces. doctl's `registry kubernetes-manifest` sets it with the
	// Secret's name as value, and so does [New] when
	// [Options.DOSecretAnnotation] is true.
	DOSecretAnnotation = "digitalocean.com/dosecret-identifier"
	// DefaultNamePrefix is prepended to [Options.RegistryName] to derive the
	// Secret name when [Options.Name] is empty, matching doctl's naming.
	DefaultNamePrefix = "registry-"
	// MaxDataSize is the largest Docker config [New] accepts, in bytes. It is
	// Kubernetes' limit on the total data size of a Secret (1 MiB).
	MaxDataSize = 1 << 20
)

// Options configures the Secret built by [New].
type Options struct {
	// Name is the Secret's metadata.name. It must be a DNS-1123 subdomain
	// (see [ValidateName]). When empty, the name is DefaultNamePrefix +
	// RegistryName; one of Name and RegistryName is required.
	Name string
	// RegistryName is the container registry's name, used only to derive the
	// default Name. The derived name is validated, never rewritten: if it is
	// not a valid Secret name, [New] fails and Name must be set instead.
	RegistryName string
	// Namespace is the Secret's metadata.namespace. When empty it is omitted
	// from the output, so kubectl uses its current namespace. Otherwise it
	// must be a DNS-1123 label (see [ValidateNamespace]).
	Namespace string
	// DOSecretAnnotation adds the annotation [DOSecretAnnotation] with the
	// Secret's name as value, so DigitalOcean's DOSecret operator copies the
	// Secret to every namespace of a DOKS cluster. DigitalOcean itself creates
	// such Secrets in the kube-system namespace.
	DOSecretAnnotation bool
	// Labels are added to metadata.labels. Keys and values must be valid
	// Kubernetes label keys and values (see [ValidateLabel]). The map is
	// copied.
	Labels map[string]string
}

// Secret is a Kubernetes core/v1 Secret, reduced to the fields a registry pull
// secret uses. Its JSON encoding matches the Kubernetes API; []byte values in
// Data encode as standard base64, as Kubernetes expects.
type Secret struct {
	// APIVersion is always [APIVersion] for Secrets built by [New].
	APIVersion string `json:"apiVersion"`
	// Kind is always [Kind] for Secrets built by [New].
	Kind string `json:"kind"`
	// Metadata is the Secret's object metadata.
	Metadata Metadata `json:"metadata"`
	// Type is always [SecretType] for Secrets built by [New].
	Type string `json:"type"`
	// Data maps keys to raw (not base64-encoded) values. Secrets built by
	// [New] have the single key [DockerConfigJSONKey].
	Data map[string][]byte `json:"data"`
}

// Metadata is the subset of Kubernetes object metadata that a [Secret] uses.
// Empty fields are omitted from the output.
type Metadata struct {
	// Name is the Secret's name.
	Name string `json:"name"`
	// Namespace is the Secret's namespace; empty means kubectl's current one.
	Namespace string `json:"namespace,omitempty"`
	// Annotations are the Secret's annotations.
	Annotations map[string]string `json:"annotations,omitempty"`
	// Labels are the Secret's labels.
	Labels map[string]string `json:"labels,omitempty"`
}

// New builds a Secret of type kubernetes.io/dockerconfigjson holding
// dockerConfigJSON, the bytes of a Docker config.json. The config must be a
// JSON object with an "auths" object and at most [MaxDataSize] bytes; it is
// copied, never modified, so the Secret's data round-trips to exactly the same
// bytes. New validates the name, namespace and labels in opts and returns an
// error (never mentioning the config's content) if anything is invalid.
func New(dockerConfigJSON []byte, opts Options) (*Secret, error) {
	name, err := secretName(opts)
	if err != nil {
		return nil, err
	}
	if opts.Namespace != "" {
		if err := ValidateNamespace(opts.Namespace); err != nil {
			return nil, err
		}
	}
	for k, v := range opts.Labels {
		if err := ValidateLabel(k, v); err != nil {
			return nil, err
		}
	}
	if err := validateDockerConfig(dockerConfigJSON); err != nil {
		return nil, err
	}

	s := &Secret{
		APIVersion: APIVersion,
		Kind:       Kind,
		Metadata: Metadata{
			Name:      name,
			Namespace: opts.Namespace,
		},
		Type: SecretType,
		Data: map[string][]byte{
			DockerConfigJSONKey: bytes.Clone(dockerConfigJSON),
		},
	}
	if opts.DOSecretAnnotation {
		s.Metadata.Annotations = map[string]string{DOSecretAnnotation: name}
	}
	if len(opts.Labels) > 0 {
		s.Metadata.Labels = maps.Clone(opts.Labels)
	}
	return s, nil
}

// secretName returns the Secret name chosen by opts, validated.
func secretName(opts Options) (string, error) {
	if opts.Name != "" {
		return opts.Name, ValidateName(opts.Name)
	}
	if opts.RegistryName == "" {
		return "", errors.New("kubesecret: no secret name: set Name, or RegistryName to use the default name " + DefaultNamePrefix + "<RegistryName>")
	}
	name := DefaultNamePrefix + opts.RegistryName
	if !isDNS1123Subdomain(name) {
		return "", fmt.Errorf("kubesecret: default secret name %q derived from registry name %q is invalid: must be %s; set Name to a valid secret name", name, opts.RegistryName, subdomainRule)
	}
	return name, nil
}

// validateDockerConfig checks that b is a JSON object with an "auths" object.
// Its errors never quote b, which holds credentials.
func validateDockerConfig(b []byte) error {
	if len(b) == 0 {
		return errors.New("kubesecret: docker config is empty")
	}
	if len(b) > MaxDataSize {
		return fmt.Errorf("kubesecret: docker config is %d bytes, more than the %d bytes a Kubernetes Secret can hold", len(b), MaxDataSize)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		// Do not wrap err: a syntax error quotes a character of the input.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("kubesecret: docker config is not valid JSON (syntax error at byte offset %d)", se.Offset)
		}
		return errors.New("kubesecret: docker config is not a JSON object")
	}
	if top == nil { // the JSON literal null
		return errors.New("kubesecret: docker config is not a JSON object")
	}
	auths, ok := top["auths"]
	if !ok {
		return errors.New(`kubesecret: docker config has no "auths" object`)
	}
	if len(auths) == 0 || auths[0] != '{' { // RawMessage has no leading space
		return errors.New(`kubesecret: docker config "auths" is not a JSON object`)
	}
	return nil
}

// JSON returns the Secret as indented JSON with a trailing newline. On error
// it returns nil bytes.
func (s *Secret) JSON() ([]byte, error) {
	if s == nil {
		return nil, errors.New("kubesecret: nil Secret")
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("kubesecret: encoding secret as JSON: %w", err)
	}
	return append(b, '\n'), nil
}

// YAML returns the Secret as a YAML document with a trailing newline, ready
// for `kubectl apply -f -`. It is the JSON encoding converted by
// sigs.k8s.io/yaml, as kubectl does, so keys are sorted and ambiguous
// strings are quoted. On error it returns nil bytes.
func (s *Secret) YAML() ([]byte, error) {
	if s == nil {
		return nil, errors.New("kubesecret: nil Secret")
	}
	b, err := yaml.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("kubesecret: encoding secret as YAML: %w", err)
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		b = append(b, '\n')
	}
	return b, nil
}
