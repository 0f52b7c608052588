package dev.zeroshard.checkpoints.safetensors;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes safetensors files byte by byte, from a header typed by hand, so tests follow the spec and not our writer. */
final class RawSafetensors {
    private RawSafetensors() {
    }

    /** 8-byte little-endian length of the header, the header (UTF-8), then the data. */
    static Path write(final Path file, final String headerJson, final byte[] data) throws IOException {
        final byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        return writeBytes(file, concat(lengthField(header.length), header, data));
    }

    static Path writeBytes(final Path file, final byte[] bytes) throws IOException {
        Files.write(file, bytes);
        return file;
    }

    static byte[] lengthField(final long headerLengthBytes) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLengthBytes).array();
    }

    static byte[] concat(final byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Unsigned byte values, written as ints for readability. */
    static byte[] bytes(final int... values) {
        final byte[] result = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (byte) values[i];
        }
        return result;
    }

    /** A header entry, e.g. {@code entry("a", "F32", "[2]", 0, 8)}. */
    static String entry(final String name, final String dtype, final String shape, final long begin, final long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin
            + "," + end + "]}";
    }
}
