package dev.zeroshard.worker.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zeroshard.worker.ops.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The pure-Java GEMM: the contract, and results independent of the thread count. */
class JavaGemmTest extends GemmContract {
    private final JavaGemm gemm = new JavaGemm();

    @Override
    protected Gemm gemm() {
        return gemm;
    }

    @Test
    void shouldGiveBitIdenticalResultsWhenThreadCountChanges() {
        final SplittableRandom random = new SplittableRandom(5);
        final int m = 70;
        final int n = 600;
        final int k = 300;
        final float[] a = new float[m * k];
        final float[] b = new float[n * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float)random.nextDouble();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float)random.nextDouble();
        }
        final int before = Parallel.shared().threads();
        try {
            Parallel.configure(1);
            final float[] one = new float[m * n];
            gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, one, 0, n);
            Parallel.configure(3);
            final float[] three = new float[m * n];
            gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, three, 0, n);
            // a short, wide product: threads split the columns instead of the rows
            final float[] wideOne = new float[2 * n];
            final float[] wideThree = new float[2 * n];
            gemm.sgemm(false, true, 2, n, k, 1f, a, 0, k, b, 0, k, 0f, wideThree, 0, n);
            Parallel.configure(1);
            gemm.sgemm(false, true, 2, n, k, 1f, a, 0, k, b, 0, k, 0f, wideOne, 0, n);
            assertThat(three).containsExactly(one);
            assertThat(wideThree).containsExactly(wideOne);
        } finally {
            Parallel.configure(before);
        }
    }
}
