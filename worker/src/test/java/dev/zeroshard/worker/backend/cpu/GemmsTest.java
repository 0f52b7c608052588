package dev.zeroshard.worker.backend.cpu;

import dev.zeroshard.sharding.numeric.Bf16;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The one-time choice of the process's GEMM. */
class GemmsTest {
    @Test
    void shouldReturnTheSameWorkingGemmWhenAskedTwice() {
        final Gemm gemm = Gemms.best();
        assertThat(Gemms.best()).isSameAs(gemm);
        final float[] c = new float[4];
        // (2,3) · (3,2)
        gemm.sgemm(false, false, 2, 2, 3, 1f, new float[] {1, 2, 3, 4, 5, 6}, 0, 3, new float[] {1, 0, 0, 1, 1, 1}, 0,
            2, 0f, c, 0, 2);
        assertThat(c).containsExactly(4f, 5f, 10f, 11f);
    }

    @Test
    void shouldChooseJavaWhenAskedForJava() {
        assertThat(Gemms.choose("java", false)).isInstanceOf(JavaGemm.class);
        assertThat(Gemms.choose("JAVA", true).name()).isEqualTo("java-bf16-compute");
    }

    @Test
    void shouldFallBackToJavaWhenOpenBlasIsAskedForBf16() {
        assertThat(Gemms.choose("openblas", true)).isInstanceOf(JavaGemm.class);
    }

    @Test
    void shouldRejectNameWhenLibraryIsUnknown() {
        assertThatThrownBy(() -> Gemms.choose("mkl", false)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("zeroshard.gemm=mkl");
    }

    @Test
    void shouldRoundToNearestEvenWhenConvertingToBf16() {
        // 1 + 2^-8 lies halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to the even one, 1
        assertThat(Bf16.round(1f + 0x1p-8f)).isEqualTo(1f);
        assertThat(Bf16.round(1f + 0x1p-7f + 0x1p-8f)).isEqualTo(1f + 0x1p-6f);
        assertThat(Bf16.round(1f + 0x1p-8f + 0x1p-20f)).isEqualTo(1f + 0x1p-7f);
        assertThat(Float.isNaN(Bf16.round(Float.NaN))).isTrue();
        assertThat(Bf16.round(Float.NEGATIVE_INFINITY)).isEqualTo(Float.NEGATIVE_INFINITY);
    }
}
