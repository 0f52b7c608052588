package dev.zeroshard.sharding.collective;

/** The collectives a {@link Communicator} runs, and its ring handshake. */
public enum CollectiveKind {
    /** Every rank ends with the element-wise sum of all ranks' buffers (reduce-scatter, then allgather). */
    ALL_REDUCE("allreduce"),
    /** Every rank ends with the sum of its own segment of the {@link Partition}. */
    REDUCE_SCATTER("reducescatter"),
    /** Every rank ends with every rank's segment. */
    ALL_GATHER("allgather"),
    /** Every rank ends with the root's buffer. */
    BROADCAST("broadcast"),
    /** No rank leaves before every rank has arrived. */
    BARRIER("barrier"),
    /** Opening the ring: publication to the next rank, stream from the previous one. */
    CONNECT("connect"),
    /** No collective: the communicator itself, closed, aborted or broken between collectives. */
    COMMUNICATOR("communicator");

    private final String label;

    CollectiveKind(final String label) {
        this.label = label;
    }

    /** The lower-case name used in messages, benchmarks and the CLI ({@code allreduce}). */
    public String label() {
        return label;
    }

    /** The kind named {@code label} ({@code allreduce}, {@code reducescatter}, ...). */
    public static CollectiveKind ofLabel(final String label) {
        for (final CollectiveKind kind : values()) {
            if (kind.label.equalsIgnoreCase(label.trim())) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown collective '" + label
            + "'; expected allreduce, reducescatter, allgather, broadcast or barrier");
    }
}
