package dev.zeroshard.worker.optim;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector body of {@link AdamW#step}: the same IEEE operations in the same order as the scalar
 * loop (no fused multiply-add; a correctly rounded float square root equals the scalar path's
 * double square root rounded to float), so both give the same bits. C2 (JDK 17) does not vectorise
 * the scalar loop, whose arrays sit at different offsets. Load only if {@code Simd.ENABLED}.
 */
final class AdamWSimd {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private AdamWSimd() {
    }

    /** Elements [from, to) of the update; returns the first index it left to the scalar tail. */
    static int step(final float[] param, final int paramOff, final float[] grad, final int gradOff, final float[] m,
        final float[] v, final int stateOff, final int from, final int to, final float l2Decay, final float b1,
        final float oneMinusBeta1, final float b2, final float oneMinusBeta2, final float biasCorrection2Sqrt,
        final float epsilon, final float decay, final float stepSize) {
        final int lanes = F.length();
        int i = from;
        for (; i + lanes <= to; i += lanes) {
            final int p = paramOff + i;
            final int s = stateOff + i;
            final FloatVector w = FloatVector.fromArray(F, param, p);
            final FloatVector g = FloatVector.fromArray(F, grad, gradOff + i).add(w.mul(l2Decay));
            final FloatVector mi = FloatVector.fromArray(F, m, s).mul(b1).add(g.mul(oneMinusBeta1));
            final FloatVector vi = FloatVector.fromArray(F, v, s).mul(b2).add(g.mul(oneMinusBeta2).mul(g));
            mi.intoArray(m, s);
            vi.intoArray(v, s);
            final FloatVector denom = vi.sqrt().div(biasCorrection2Sqrt).add(epsilon);
            w.mul(decay).sub(mi.div(denom).mul(stepSize)).intoArray(param, p);
        }
        return i;
    }
}
