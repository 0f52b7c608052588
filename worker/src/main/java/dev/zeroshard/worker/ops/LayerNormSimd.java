package dev.zeroshard.worker.ops;

import jdk.incubator.vector.FloatVector;

import static dev.zeroshard.worker.ops.SimdMath.F;
import static dev.zeroshard.worker.ops.SimdMath.LANES;

/**
 * The vector bodies of {@link LayerNorm}'s rows. Row sums are gathered in lanes and the lanes added
 * in lane order, so a row's statistics do not depend on the thread split (they differ from the
 * scalar path's in the last bits, as any other summation order would). Load only if {@link Simd#ENABLED}.
 */
final class LayerNormSimd {
    private LayerNormSimd() {
    }

    /** One row of {@link LayerNorm#forward}; returns {mean, rstd} through {@code stats}. */
    static void forwardRow(final float[] out, final int o, final float[] inp, final int x, final float[] params,
        final int weightOff, final int biasOff, final int C, final float eps, final float[] stats,
        final float[] lanes) {
        final int body = C - C % LANES;
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0; c < body; c += LANES) {
            acc = acc.add(FloatVector.fromArray(F, inp, x + c));
        }
        float sum = SimdMath.sumLanes(acc, lanes);
        for (int c = body; c < C; c++) {
            sum += inp[x + c];
        }
        final float m = sum / C;
        final FloatVector mean = FloatVector.broadcast(F, m);
        acc = FloatVector.zero(F);
        for (int c = 0; c < body; c += LANES) {
            final FloatVector d = FloatVector.fromArray(F, inp, x + c).sub(mean);
            acc = d.fma(d, acc);
        }
        float var = SimdMath.sumLanes(acc, lanes);
        for (int c = body; c < C; c++) {
            final float d = inp[x + c] - m;
            var += d * d;
        }
        final float s = (float)(1.0 / Math.sqrt(var / C + eps));
        final FloatVector rstd = FloatVector.broadcast(F, s);
        for (int c = 0; c < body; c += LANES) {
            FloatVector.fromArray(F, inp, x + c).sub(mean).mul(rstd).mul(FloatVector.fromArray(F, params, weightOff + c))
                .add(FloatVector.fromArray(F, params, biasOff + c)).intoArray(out, o + c);
        }
        LayerNorm.normalizeColumns(out, o, inp, x, params, weightOff, biasOff, m, s, body, C);
        stats[0] = m;
        stats[1] = s;
    }

    /**
     * One row of {@link LayerNorm#backward}: adds into dinp[di..], and into the block's partial
     * dweight (scratch[dw..]) and dbias (scratch[db..]).
     */
    static void backwardRow(final float[] dinp, final int di, final float[] scratch, final int dw, final int db,
        final float[] dout, final int d, final float[] inp, final int x, final float[] params, final int weightOff,
        final float m, final float s, final int C, final float[] lanes) {
        final int body = C - C % LANES;
        final FloatVector mean = FloatVector.broadcast(F, m);
        final FloatVector rstd = FloatVector.broadcast(F, s);
        FloatVector accDnorm = FloatVector.zero(F);
        FloatVector accDnormNorm = FloatVector.zero(F);
        for (int c = 0; c < body; c += LANES) {
            final FloatVector norm = FloatVector.fromArray(F, inp, x + c).sub(mean).mul(rstd);
            final FloatVector dnorm = FloatVector.fromArray(F, params, weightOff + c).mul(
                FloatVector.fromArray(F, dout, d + c));
            accDnorm = accDnorm.add(dnorm);
            accDnormNorm = dnorm.fma(norm, accDnormNorm);
        }
        final float[] sums = {SimdMath.sumLanes(accDnorm, lanes), SimdMath.sumLanes(accDnormNorm, lanes)};
        LayerNorm.sumColumns(sums, dout, d, inp, x, params, weightOff, m, s, body, C);
        final float dnormMean = sums[0] / C;
        final float dnormNormMean = sums[1] / C;
        final FloatVector dm = FloatVector.broadcast(F, dnormMean);
        final FloatVector dnm = FloatVector.broadcast(F, dnormNormMean);
        for (int c = 0; c < body; c += LANES) {
            final FloatVector g = FloatVector.fromArray(F, dout, d + c);
            final FloatVector norm = FloatVector.fromArray(F, inp, x + c).sub(mean).mul(rstd);
            final FloatVector dnorm = FloatVector.fromArray(F, params, weightOff + c).mul(g);
            FloatVector.fromArray(F, scratch, db + c).add(g).intoArray(scratch, db + c);
            norm.fma(g, FloatVector.fromArray(F, scratch, dw + c)).intoArray(scratch, dw + c);
            dnorm.sub(dm).sub(norm.mul(dnm)).mul(rstd).add(FloatVector.fromArray(F, dinp, di + c))
                .intoArray(dinp, di + c);
        }
        LayerNorm.backwardColumns(dinp, di, scratch, dw, db, dout, d, inp, x, params, weightOff, m, s, dnormMean,
            dnormNormMean, body, C);
    }

    /** Scratch length {@link #forwardRow} and {@link #backwardRow} need for lanes. */
    static int lanes() {
        return LANES;
    }
}
