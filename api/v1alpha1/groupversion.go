package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of this API: docr.dev/v1alpha1.
var GroupVersion = schema.GroupVersion{Group: "docr.dev", Version: "v1alpha1"}

// AddToScheme adds the types of this API to a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &PullSecret{}, &PullSecretList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
