package dev.zeroshard.worker.ops;

/**
 * Deterministic sums over rows for the kernels whose backward reduces over (B,T) into a
 * parameter gradient (LayerNorm's weight and bias): rows are cut into fixed blocks of
 * {@link #ROWS} rows, each block sums into its own partial vector (in parallel), and the partials
 * are added into the gradient in block order. The result depends on neither the
 * thread count nor the scheduling.
 */
final class RowBlocks {
    /** Rows per partial sum. */
    static final int ROWS = 64;

    private RowBlocks() {
    }

    static int count(final int rows) {
        return (rows + ROWS - 1) / ROWS;
    }
}
