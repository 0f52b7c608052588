package dev.zeroshard.checkpoints.safetensors;

import java.util.function.IntToDoubleFunction;

/** Round to nearest, ties to even, by searching the target format's values: slow and obviously right. */
final class RoundingReference {
    private RoundingReference() {
    }

    /**
     * The non-negative bit pattern nearest to {@code magnitude}.
     *
     * @param infinityPattern the pattern of +Inf; patterns below it are the finite values in increasing order.
     * @param overflowValue   the value the pattern {@code infinityPattern} would have with an unbounded exponent:
     *                        magnitudes rounding to it or beyond become Inf.
     * @param valueOf         the exact value of a finite pattern.
     */
    static int nearestEven(final double magnitude, final int infinityPattern, final double overflowValue,
                           final IntToDoubleFunction valueOf) {
        if (magnitude >= overflowValue) {
            return infinityPattern;
        }
        int low = 0;
        int high = infinityPattern; // invariant: value(low) <= magnitude < value(high)
        while (high - low > 1) {
            final int middle = (low + high) >>> 1;
            if (valueOf.applyAsDouble(middle) <= magnitude) {
                low = middle;
            } else {
                high = middle;
            }
        }
        final double lowValue = valueOf.applyAsDouble(low);
        final double highValue = high == infinityPattern ? overflowValue : valueOf.applyAsDouble(high);
        final double midpoint = (lowValue + highValue) / 2; // exact: adjacent values of a format narrower than double
        if (magnitude < midpoint) {
            return low;
        }
        if (magnitude > midpoint) {
            return high;
        }
        return (low & 1) == 0 ? low : high;
    }
}
