package dev.zeroshard.worker.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The build's kernels: where nvcc was there, the class path holds one fatbin with machine code for sm_80 and sm_90
 * and PTX. The fatbin is read by its container layout (a header, magic 0xBA55ED50, then entries each with a kind,
 * 1 = PTX or 2 = ELF, and a target architecture), so no CUDA tool is needed.
 */
class KernelBinaryTest {
    private static final int FATBIN_MAGIC = 0xBA55ED50;
    private static final int KIND_PTX = 1;
    private static final int KIND_ELF = 2;

    @Test
    void shouldCarrySm80AndSm90MachineCodeAndPtxWhereNvccWasThere() throws IOException {
        final byte[] fatbin = fatbin();
        if (fatbin == null) {
            assumeTrue(nvccOnPath() == null, "nvcc is on the PATH (" + nvccOnPath() + ") but the build left no "
                + CudaDevice.FATBIN_RESOURCE + "; was it built with -Dzeroshard.cuda.skip=true?");
            assertThat(CudaDevice.kernelsBuilt()).isFalse();
            return;
        }
        assertThat(CudaDevice.kernelsBuilt()).isTrue();
        assertThat(entries(fatbin)).contains("elf sm_80", "elf sm_90", "ptx compute_80");
    }

    @Test
    void shouldBeNewerThanEveryKernelSource() throws IOException {
        final Path built = Path.of("target/classes/dev/zeroshard/worker/backend/cuda", CudaDevice.FATBIN_RESOURCE);
        final Path sources = Path.of("src/main/cuda");
        assumeTrue(Files.exists(built) && Files.isDirectory(sources), "no fatbin built from " + sources);
        try (var files = Files.list(sources)) {
            for (final Path source : (Iterable<Path>)files::iterator) {
                assertThat(Files.getLastModifiedTime(built))
                    .as("%s is newer than the fatbin: the build should have recompiled the kernels", source)
                    .isGreaterThanOrEqualTo(Files.getLastModifiedTime(source));
            }
        }
    }

    /** "elf sm_NN" or "ptx compute_NN" per entry. */
    static List<String> entries(final byte[] fatbin) {
        final ByteBuffer in = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(in.getInt(0)).as("fatbin magic").isEqualTo(FATBIN_MAGIC);
        final int headerBytes = Short.toUnsignedInt(in.getShort(6));
        final long payloadBytes = in.getLong(8);
        assertThat(headerBytes + payloadBytes).as("fatbin size").isEqualTo(fatbin.length);
        final List<String> entries = new ArrayList<>();
        long offset = headerBytes;
        while (offset < fatbin.length) {
            final int at = Math.toIntExact(offset);
            final int kind = Short.toUnsignedInt(in.getShort(at));
            final int entryHeaderBytes = in.getInt(at + 4);
            final long entryBytes = in.getLong(at + 8);
            final int arch = in.getInt(at + 0x1c);
            entries.add(kind == KIND_ELF ? "elf sm_" + arch : kind == KIND_PTX ? "ptx compute_" + arch : "kind " + kind);
            offset += entryHeaderBytes + entryBytes;
        }
        return entries;
    }

    private static byte[] fatbin() throws IOException {
        try (InputStream in = CudaDevice.class.getResourceAsStream(CudaDevice.FATBIN_RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    private static Path nvccOnPath() {
        final String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (final String dir : path.split(java.io.File.pathSeparator)) {
            final Path nvcc = Path.of(dir, "nvcc");
            if (Files.isExecutable(nvcc)) {
                return nvcc;
            }
        }
        return null;
    }
}
