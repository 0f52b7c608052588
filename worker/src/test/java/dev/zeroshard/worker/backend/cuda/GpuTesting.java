package dev.zeroshard.worker.backend.cuda;

import dev.zeroshard.sharding.numeric.Bf16;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Device buffers for tests: upload, download, release; the tolerance measure; random inputs. */
final class GpuTesting implements AutoCloseable {
    final CudaContext cuda;
    final CudaKernels k;
    final CudaStream stream;
    private final List<DeviceBuffer> buffers = new ArrayList<>();

    private GpuTesting(final CudaContext cuda) {
        this.cuda = cuda;
        this.k = cuda.kernels();
        this.stream = new CudaStream();
    }

    /** The GPU, or the test is skipped with the probe's reason. */
    static GpuTesting open() {
        assumeTrue(CudaDevice.available(), CudaDevice.reason());
        return new GpuTesting(CudaDevice.context());
    }

    DeviceBuffer floats(final float[] values) {
        final DeviceBuffer buffer = track(cuda.allocator().floats(values.length));
        JCudaDriver.cuMemcpyHtoD(buffer.pointer(), Pointer.to(values), 4L * values.length);
        JCudaDriver.cuCtxSynchronize();
        return buffer;
    }

    DeviceBuffer bf16(final short[] bits) {
        final DeviceBuffer buffer = track(cuda.allocator().bf16s(bits.length));
        JCudaDriver.cuMemcpyHtoD(buffer.pointer(), Pointer.to(bits), 2L * bits.length);
        JCudaDriver.cuCtxSynchronize();
        return buffer;
    }

    DeviceBuffer ints(final int[] values) {
        final DeviceBuffer buffer = track(cuda.allocator().ints(values.length));
        JCudaDriver.cuMemcpyHtoD(buffer.pointer(), Pointer.to(values), 4L * values.length);
        JCudaDriver.cuCtxSynchronize();
        return buffer;
    }

    DeviceBuffer zeros(final long bytes) {
        final DeviceBuffer buffer = track(cuda.allocator().allocate(bytes));
        JCudaDriver.cuMemsetD8(buffer.pointer(), (byte)0, bytes);
        JCudaDriver.cuCtxSynchronize();
        return buffer;
    }

    float[] readFloats(final DeviceBuffer buffer, final int count) {
        stream.synchronize();
        final float[] values = new float[count];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(values), buffer.pointer(), 4L * count);
        return values;
    }

    short[] readBf16(final DeviceBuffer buffer, final int count) {
        stream.synchronize();
        final short[] bits = new short[count];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(bits), buffer.pointer(), 2L * count);
        return bits;
    }

    /** bf16 values as fp32 (exact). */
    float[] readBf16AsFloats(final DeviceBuffer buffer, final int count) {
        return toFloats(readBf16(buffer, count));
    }

    private DeviceBuffer track(final DeviceBuffer buffer) {
        buffers.add(buffer);
        return buffer;
    }

    @Override
    public void close() {
        stream.synchronize();
        buffers.forEach(cuda.allocator()::release);
        buffers.clear();
        stream.close();
    }

    /** ‖out − ref‖ / ‖ref‖ in double (‖out‖ when ref is all zeros). */
    static double relativeL2(final float[] out, final float[] ref) {
        if (out.length != ref.length) {
            throw new IllegalArgumentException(out.length + " values against " + ref.length);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < out.length; i++) {
            final double d = (double)out[i] - ref[i];
            diff += d * d;
            norm += (double)ref[i] * ref[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    /** Normal values of standard deviation {@code std}. */
    static float[] normal(final long seed, final int count, final double std) {
        final SplittableRandom random = new SplittableRandom(seed);
        final float[] values = new float[count];
        for (int i = 0; i < count; i += 2) {
            // Box-Muller
            final double u = 1.0 - random.nextDouble();
            final double v = random.nextDouble();
            final double r = Math.sqrt(-2 * Math.log(u)) * std;
            values[i] = (float)(r * Math.cos(2 * Math.PI * v));
            if (i + 1 < count) {
                values[i + 1] = (float)(r * Math.sin(2 * Math.PI * v));
            }
        }
        return values;
    }

    /** Normal values already rounded to bf16 (so CPU and GPU see the same inputs). */
    static float[] normalBf16(final long seed, final int count, final double std) {
        final float[] values = normal(seed, count, std);
        Bf16.roundInPlace(values, 0, values.length);
        return values;
    }

    static short[] toBits(final float[] values) {
        final short[] bits = new short[values.length];
        Bf16.fromFloat(values, 0, bits, 0, values.length);
        return bits;
    }

    static float[] toFloats(final short[] bits) {
        final float[] values = new float[bits.length];
        Bf16.toFloat(bits, 0, values, 0, bits.length);
        return values;
    }

    static int[] tokens(final long seed, final int count, final int vocab) {
        final SplittableRandom random = new SplittableRandom(seed);
        final int[] ids = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = random.nextInt(vocab);
        }
        return ids;
    }
}
