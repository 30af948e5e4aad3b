package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults and limits of a PullSecret's spec. The CRD sets the constant
// defaults; the controller applies the ones that depend on other fields.
const (
	// DefaultExpiry is the lifetime of each credential when spec.expiry is
	// not set.
	DefaultExpiry = "24h"
	// DefaultRevokeAfter is the grace after a rotation before the replaced
	// credential is revoked.
	DefaultRevokeAfter = "5m"
	// DefaultTokenKey is the key of the token Secret that holds the API
	// token.
	DefaultTokenKey = "token"
	// SecretNamePrefix, followed by the registry name, is the default name
	// of the managed Secrets.
	SecretNamePrefix = "docr-"
)

// ServiceAccountMode says whose imagePullSecrets gain the managed Secret.
// +kubebuilder:validation:Enum=Default;All;None
type ServiceAccountMode string

// The service-account modes.
const (
	// ServiceAccountsDefault adds the Secret to the "default" service account
	// of each selected namespace.
	ServiceAccountsDefault ServiceAccountMode = "Default"
	// ServiceAccountsAll adds it to every service account of each selected
	// namespace.
	ServiceAccountsAll ServiceAccountMode = "All"
	// ServiceAccountsNone changes no service account; pods name the Secret
	// themselves.
	ServiceAccountsNone ServiceAccountMode = "None"
)

// TokenSecretRef names the key of a Secret that holds a DigitalOcean API
// token.
type TokenSecretRef struct {
	// Namespace of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace"`
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
	// Key of the Secret's data that holds the token.
	// +kubebuilder:default=token
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	// +optional
	Key string `json:"key,omitempty"`
}

// PullSecretSpec is what a PullSecret asks for.
//
// +kubebuilder:validation:XValidation:rule="!has(self.renewBefore) || duration(self.renewBefore) < duration(self.expiry)",message="renewBefore must be less than expiry"
// +kubebuilder:validation:XValidation:rule="has(self.secretName) || self.registry.matches('[a-z0-9]$')",message="secretName is required when registry ends with a hyphen (docr-<registry> would not be a valid Secret name)"
type PullSecretSpec struct {
	// Registry is the name of the DigitalOcean container registry (the API's
	// rule: 1 to 63 lower-case letters, digits and hyphens).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]+$`
	Registry string `json:"registry"`
	// TokenSecretRef names the Secret key holding the DigitalOcean API token
	// that mints the credentials (scope registry:read, or registry:create
	// for readWrite).
	TokenSecretRef TokenSecretRef `json:"tokenSecretRef"`
	// ReadWrite asks for push credentials.
	// +kubebuilder:default=false
	// +optional
	ReadWrite bool `json:"readWrite"`
	// Expiry is the lifetime of each credential: whole seconds, at least 2m,
	// at most 90 days (2160h).
	// +kubebuilder:default="24h"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('2m') && duration(self) <= duration('2160h')",message="expiry must be at least 2m and at most 90 days (2160h)"
	// +kubebuilder:validation:XValidation:rule="duration(self).getMilliseconds() % 1000 == 0",message="expiry must be a whole number of seconds"
	// +optional
	Expiry *metav1.Duration `json:"expiry,omitempty"`
	// RenewBefore is how long before its expiry a credential is replaced;
	// less than expiry. Default: a third of expiry.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) > duration('0s')",message="renewBefore must be positive"
	// +optional
	RenewBefore *metav1.Duration `json:"renewBefore,omitempty"`
	// RevokeAfter is the grace after a rotation before the replaced
	// credential is revoked, so that pulls that already read it finish.
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) <= duration('2160h')",message="revokeAfter must be at most 90 days (2160h)"
	// +optional
	RevokeAfter *metav1.Duration `json:"revokeAfter,omitempty"`
	// SecretName is the name of the kubernetes.io/dockerconfigjson Secret in
	// each selected namespace. Default: "docr-" + registry.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +optional
	SecretName string `json:"secretName,omitempty"`
	// NamespaceSelector selects the namespaces that get the Secret; empty
	// (or unset) selects every namespace.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	// ServiceAccounts says whose imagePullSecrets gain secretName in each
	// selected namespace: Default (the "default" service account), All or
	// None.
	// +kubebuilder:default=Default
	// +optional
	ServiceAccounts ServiceAccountMode `json:"serviceAccounts,omitempty"`
}

// PullSecretStatus is what the controller last observed and did.
type PullSecretStatus struct {
	// Conditions hold the Ready condition: True when every selected
	// namespace holds the current credential; else False with a reason and
	// a message that never holds a secret.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ExpiresAt is when the current credential expires.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`
	// RotatedAt is when the current credential was minted.
	// +optional
	RotatedAt *metav1.Time `json:"rotatedAt,omitempty"`
	// Namespaces is the number of namespaces that hold the current
	// credential.
	// +optional
	Namespaces int32 `json:"namespaces"`
	// ObservedGeneration is the generation of the spec last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// PullSecret keeps one short-lived DigitalOcean Container Registry
// credential per registry fresh, as a kubernetes.io/dockerconfigjson Secret
// in every selected namespace, and revokes each credential it replaces.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,path=pullsecrets,singular=pullsecret
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Expires",type=date,JSONPath=`.status.expiresAt`
// +kubebuilder:printcolumn:name="Namespaces",type=integer,JSONPath=`.status.namespaces`
type PullSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the PullSecret asks for.
	Spec PullSecretSpec `json:"spec"`
	// Status is what the controller observed.
	// +optional
	Status PullSecretStatus `json:"status,omitempty"`
}

// PullSecretList is a list of PullSecrets.
//
// +kubebuilder:object:root=true
type PullSecretList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the PullSecrets.
	Items []PullSecret `json:"items"`
}
