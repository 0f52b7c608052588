/**
 * The custom resources of group {@code zeroshard.dev}, version {@code v1alpha1}: {@link
 * dev.zeroshard.operator.crd.ZeroCluster} (the service) and {@link dev.zeroshard.operator.crd.ZeroJob} (a training
 * job on it). The CRDs under {@code deploy/k8s/crds} are generated from these classes at build time
 * (crd-generator-maven-plugin): field descriptions, defaults and validation live here, once.
 */
package dev.zeroshard.operator.crd;
