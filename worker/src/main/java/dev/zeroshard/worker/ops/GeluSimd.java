package dev.zeroshard.worker.ops;

import jdk.incubator.vector.FloatVector;

import static dev.zeroshard.worker.ops.Gelu.CUBE;
import static dev.zeroshard.worker.ops.Gelu.CUBE3;
import static dev.zeroshard.worker.ops.Gelu.MINUS_TWO_K;
import static dev.zeroshard.worker.ops.Gelu.SQRT_2_OVER_PI;
import static dev.zeroshard.worker.ops.SimdMath.F;
import static dev.zeroshard.worker.ops.SimdMath.LANES;

/** The vector bodies of {@link Gelu}'s loops; each returns the index where the scalar tail starts. */
final class GeluSimd {

    private GeluSimd() {
    }

    static int forward(final float[] out, final int outOff, final float[] inp, final int inpOff, final int from,
        final int to) {
        int i = from;
        for (final int end = to - LANES; i <= end; i += LANES) {
            final FloatVector x = FloatVector.fromArray(F, inp, inpOff + i);
            final FloatVector e = SimdMath.exp(x.mul(x).fma(CUBE, 1f).mul(x).mul(MINUS_TWO_K));
            x.div(e.add(1f)).intoArray(out, outOff + i);
        }
        return i;
    }

    static int backward(final float[] dinp, final int dinpOff, final float[] inp, final int inpOff,
        final float[] dout, final int doutOff, final int from, final int to, final boolean accumulate) {
        final FloatVector one = FloatVector.broadcast(F, 1f);
        final FloatVector zero = FloatVector.zero(F);
        int i = from;
        for (final int end = to - LANES; i <= end; i += LANES) {
            final FloatVector x = FloatVector.fromArray(F, inp, inpOff + i);
            final FloatVector x2 = x.mul(x);
            final FloatVector s = one.div(SimdMath.exp(x2.fma(CUBE, 1f).mul(x).mul(MINUS_TWO_K)).add(1f));
            final FloatVector du = x2.fma(CUBE3, 1f).mul(SQRT_2_OVER_PI);
            final FloatVector grad = one.sub(s).mul(s).mul(x).mul(du).mul(2f).add(s);
            final FloatVector prior = accumulate ? FloatVector.fromArray(F, dinp, dinpOff + i) : zero;
            grad.fma(FloatVector.fromArray(F, dout, doutOff + i), prior).intoArray(dinp, dinpOff + i);
        }
        return i;
    }
}
