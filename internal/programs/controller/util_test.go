package controller

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

func metaName(name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: labels}
}

func metaName2(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name}
}
