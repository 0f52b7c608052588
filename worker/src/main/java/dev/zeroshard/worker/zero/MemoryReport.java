package dev.zeroshard.worker.zero;

import java.util.Locale;

/**
 * Bytes one rank holds, by kind: what the ZeRO paper's model-state formulas count (compute parameters, gradients,
 * fp32 master weights, optimizer moments) and what they leave out (communication and gather buffers, the
 * per-unit scratch of partitioned stages, activations). Measured from the arrays a rank allocated, or estimated
 * from the configuration by {@link MemoryEstimator}.
 */
public record MemoryReport(long computeParameters, long gradients, long masterWeights, long optimizerMoments,
                           long communicationBuffers, long activations) {

    /** The model states of the paper: parameters, gradients, master weights and moments. */
    public long modelStates() {
        return computeParameters + gradients + masterWeights + optimizerMoments;
    }

    /** Everything. */
    public long total() {
        return modelStates() + communicationBuffers + activations;
    }

    /** A table, one kind per line, in MiB. */
    public String describe() {
        return String.format(Locale.ROOT,
            "  compute parameters   %10.2f MiB%n  gradients            %10.2f MiB%n  fp32 master weights  %10.2f MiB%n"
                + "  optimizer moments    %10.2f MiB%n  model states         %10.2f MiB%n"
                + "  communication bufs   %10.2f MiB%n  activations          %10.2f MiB%n  total                %10.2f MiB",
            mib(computeParameters), mib(gradients), mib(masterWeights), mib(optimizerMoments), mib(modelStates()),
            mib(communicationBuffers), mib(activations), mib(total()));
    }

    /** One JSON object. */
    public String toJson() {
        return String.format(Locale.ROOT, "{\"compute_parameters\":%d,\"gradients\":%d,\"master_weights\":%d,"
                + "\"optimizer_moments\":%d,\"communication_buffers\":%d,\"activations\":%d,\"total\":%d}",
            computeParameters, gradients, masterWeights, optimizerMoments, communicationBuffers, activations, total());
    }

    private static double mib(final long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
