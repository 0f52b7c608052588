package dev.zeroshard.worker.ops;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.zeroshard.worker.ops.SimdMath.F;
import static dev.zeroshard.worker.ops.SimdMath.LANES;

/** The vector bodies of {@link CrossEntropy}'s row passes. Load only if {@link Simd#ENABLED}. */
final class CrossEntropySimd {
    /** Elements whose exponentials are summed in float lanes before joining the double total. */
    private static final int BLOCK = 64 * LANES;

    private CrossEntropySimd() {
    }

    /** Length of the scratch {@link #expSum} needs. */
    static int lanes() {
        return LANES;
    }

    /** max over x[off, off + n). */
    static float max(final float[] x, final int off, final int n) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (final int end = n - LANES; i <= end; i += LANES) {
            m = m.max(FloatVector.fromArray(F, x, off + i));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        return max;
    }

    /**
     * Σ e^(x − max) over x[off, off + n), each block of {@link #BLOCK} summed in lanes, lanes in lane
     * order, blocks in order, in double; with {@code store} the exponentials replace x.
     */
    static double expSum(final float[] x, final int off, final int n, final float max, final boolean store,
        final float[] lanes) {
        final FloatVector shift = FloatVector.broadcast(F, max);
        double total = 0;
        int i = 0;
        while (i + LANES <= n) {
            final int end = Math.min(n, i + BLOCK) - LANES;
            FloatVector acc = FloatVector.zero(F);
            for (; i <= end; i += LANES) {
                final FloatVector e = SimdMath.exp(FloatVector.fromArray(F, x, off + i).sub(shift));
                if (store) {
                    e.intoArray(x, off + i);
                }
                acc = acc.add(e);
            }
            acc.intoArray(lanes, 0);
            float sum = 0f;
            for (int l = 0; l < LANES; l++) {
                sum += lanes[l];
            }
            total += sum;
        }
        for (; i < n; i++) {
            final float e = Simd.exp(x[off + i] - max);
            if (store) {
                x[off + i] = e;
            }
            total += e;
        }
        return total;
    }

    /** x[off, off + n) *= scale. */
    static void scale(final float[] x, final int off, final int n, final float scale) {
        int i = 0;
        for (final int end = n - LANES; i <= end; i += LANES) {
            FloatVector.fromArray(F, x, off + i).mul(scale).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] *= scale;
        }
    }
}
