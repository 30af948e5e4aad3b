// Package v1alpha1 holds the docr.dev/v1alpha1 API of docr-controller: the
// cluster-scoped PullSecret, which asks the controller to keep one
// short-lived DigitalOcean Container Registry credential fresh in every
// selected namespace.
//
// The CRD (deploy/crd.yaml) and zz_generated.deepcopy.go are generated from
// these types by controller-gen (make generate); never edit them by hand.
//
// +kubebuilder:object:generate=true
// +groupName=docr.dev
package v1alpha1
