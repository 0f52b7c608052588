package dev.zeroshard.worker.backend.cuda;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The primary context of the process's GPU (which one: {@link CudaDevice}) with the kernels' module loaded, its
 * caching {@link DeviceAllocator} and the {@link CudaKernels} launchers. One per process, opened by
 * {@link CudaDevice}; never closed (the driver releases it at exit).
 */
public final class CudaContext {
    private final CUdevice device;
    private final CUcontext context;
    private final CUmodule module;
    private final String name;
    private final int computeCapability;
    private final int driverVersion;
    private final int multiprocessors;
    private final int maxSharedBytesPerBlock;
    private final long totalMemoryBytes;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final DeviceAllocator allocator;
    private final CudaKernels kernels;

    private CudaContext(final CUdevice device, final CUcontext context, final CUmodule module, final String name,
                        final int computeCapability, final int driverVersion) {
        this.device = device;
        this.context = context;
        this.module = module;
        this.name = name;
        this.computeCapability = computeCapability;
        this.driverVersion = driverVersion;
        this.multiprocessors = CudaDevice.attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        this.maxSharedBytesPerBlock = CudaDevice.attribute(device,
            CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        final long[] free = new long[1];
        final long[] total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        this.totalMemoryBytes = total[0];
        this.allocator = new DeviceAllocator();
        this.kernels = new CudaKernels(this);
    }

    /** Retains the device's primary context, makes it current and loads the fatbin (every kernel is looked up). */
    static CudaContext open(final CUdevice device, final String name, final int computeCapability,
                            final int driverVersion, final byte[] fatbin) {
        final CUcontext context = new CUcontext();
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        final CUmodule module = new CUmodule();
        JCudaDriver.cuModuleLoadData(module, fatbin);
        return new CudaContext(device, context, module, name, computeCapability, driverVersion);
    }

    /** Binds the context to the calling thread (cheap; every public entry of the backend calls it). */
    public void makeCurrent() {
        JCudaDriver.cuCtxSetCurrent(context);
    }

    /** A kernel of the module by its extern "C" name, looked up once. */
    synchronized CUfunction function(final String kernel) {
        return functions.computeIfAbsent(kernel, k -> {
            final CUfunction function = new CUfunction();
            JCudaDriver.cuModuleGetFunction(function, module, k);
            return function;
        });
    }

    public DeviceAllocator allocator() {
        return allocator;
    }

    public CudaKernels kernels() {
        return kernels;
    }

    public String name() {
        return name;
    }

    /** 10 * major + minor, e.g. 90 for an H200. */
    public int computeCapability() {
        return computeCapability;
    }

    public int multiprocessors() {
        return multiprocessors;
    }

    /** Shared memory one block may use after opting in (227 KiB on Hopper, 163 KiB on an A100). */
    public int maxSharedBytesPerBlock() {
        return maxSharedBytesPerBlock;
    }

    public long totalMemoryBytes() {
        return totalMemoryBytes;
    }

    CUdevice device() {
        return device;
    }

    /** The device in one line, for logs. */
    public String describe() {
        return String.format(Locale.ROOT, "%s (sm_%d, %d SMs, %.1f GiB), driver %d.%d", name, computeCapability,
            multiprocessors, totalMemoryBytes / (double)(1L << 30), driverVersion / 1000, driverVersion % 1000 / 10);
    }
}
