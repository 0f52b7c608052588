package dev.zeroshard.operator.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A training job, run by the coordinator of the {@link ZeroCluster} it names. */
@Group(ZeroCluster.GROUP)
@Version(ZeroCluster.VERSION)
@ShortNames("zj")
@AdditionalPrinterColumn(name = "Cluster", jsonPath = ".spec.clusterRef.name")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Step", jsonPath = ".status.step", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Progress", jsonPath = ".status.progress")
@AdditionalPrinterColumn(name = "Loss", jsonPath = ".status.loss")
@AdditionalPrinterColumn(name = "Tokens/s", jsonPath = ".status.tokensPerSecond", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "ETA", jsonPath = ".status.eta")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class ZeroJob extends CustomResource<ZeroJobSpec, ZeroJobStatus> implements Namespaced {
}
