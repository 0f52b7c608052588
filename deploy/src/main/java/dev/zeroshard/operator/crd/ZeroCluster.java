package dev.zeroshard.operator.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A zeroshard service: one coordinator (REST, job registry) and a pool of workers, owned by the operator. */
@Group(ZeroCluster.GROUP)
@Version(ZeroCluster.VERSION)
@ShortNames("zc")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Workers", jsonPath = ".spec.workers.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.readyWorkers", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Endpoint", jsonPath = ".status.endpoint")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class ZeroCluster extends CustomResource<ZeroClusterSpec, ZeroClusterStatus> implements Namespaced {
    public static final String GROUP = "zeroshard.dev";
    public static final String VERSION = "v1alpha1";
}
