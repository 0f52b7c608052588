package dev.zeroshard.worker.ops;

import dev.zeroshard.sharding.numeric.Bf16;

/** Rounds fp32 buffers to bf16 values in place: how the CPU backend stores bf16 compute tensors. */
public final class Bf16Rounding {
    private Bf16Rounding() {
    }

    /** Rounds {@code length} floats at {@code off} to the nearest bf16 (ties to even). */
    public static void roundInPlace(final float[] buffer, final int off, final int length) {
        Parallel.shared().forRange(length, 16384, (from, to) -> Bf16.roundInPlace(buffer, off + from, to - from));
    }
}
