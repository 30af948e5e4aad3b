// Package controller is docr-controller: a controller-runtime controller
// that reconciles PullSecrets (docr.dev/v1alpha1).
//
// For each PullSecret it keeps one credential, minted through the
// library's credential lifecycle (a credential source whose cache is a
// record Secret in the controller's namespace), in a
// kubernetes.io/dockerconfigjson Secret in every selected namespace, adds
// that Secret to the service accounts the spec names, and revokes each
// credential it replaces once spec.revokeAfter has passed.
//
// The record is written before a new credential is fanned out (a failed
// write revokes the credential at once), so a restarted or newly elected
// controller resumes from it: it does not mint while the current
// credential is valid, and it still revokes what is pending.
//
// The informer cache holds only the Secrets the controller writes (by
// label) and those of its own namespace. See docs/controller.md.
package controller
