package dev.zeroshard.worker.backend.cpu;

/**
 * One input matrix of a {@link Gemm#multiply} call: where its elements are (an fp32 heap array, a
 * heap array of bf16 bit patterns, or a {@link MatrixBuffer}), the offset of element (0, 0) and the
 * leading dimension (row-major, in elements). Exactly one of the three stores is non-null.
 *
 * <p>A {@link MatrixBuffer} made by the same Gemm ({@link Gemm#newBuffer}) is read in place; heap
 * arrays are copied into the library's memory first.
 */
public record Operand(float[] floats, short[] bits, MatrixBuffer buffer, long offset, int ld) {
    public Operand {
        if ((floats != null ? 1 : 0) + (bits != null ? 1 : 0) + (buffer != null ? 1 : 0) != 1) {
            throw new IllegalArgumentException("an operand has exactly one store (fp32 array, bf16 array or buffer)");
        }
    }

    /** An fp32 matrix in a heap array. */
    public static Operand of(final float[] values, final int offset, final int ld) {
        return new Operand(values, null, null, offset, ld);
    }

    /** A bf16 matrix (bit patterns) in a heap array. */
    public static Operand ofBits(final short[] bits, final int offset, final int ld) {
        return new Operand(null, bits, null, offset, ld);
    }

    /** A matrix in a {@link MatrixBuffer} (fp32 or bf16, as the buffer holds). */
    public static Operand of(final MatrixBuffer buffer, final long offset, final int ld) {
        return new Operand(null, null, buffer, offset, ld);
    }

    /** Whether the elements are bf16. */
    public boolean bf16() {
        return bits != null || buffer != null && buffer.bf16();
    }

    /** Elements in the store. */
    public long storeLength() {
        return floats != null ? floats.length : bits != null ? bits.length : buffer.length();
    }
}
