package dev.zeroshard.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.Quantity;

/** Aeron settings of the workers (system properties {@code zeroshard.aeron.*}). */
public class AeronSpec {
    @Min(65536)
    @Max(1073741824)
    @JsonPropertyDescription("Term buffer length of each publication, bytes; a power of two (default 4194304).")
    public Integer termLength;

    @Min(4096)
    @Max(65504)
    @JsonPropertyDescription("MTU of the ring's channels, bytes; a multiple of 32 (default 65504).")
    public Integer mtuLength;

    @Min(1024)
    @Max(65535)
    @JsonPropertyDescription("UDP port of each worker's ranks (default 40123).")
    public Integer port;

    @JsonPropertyDescription("Size limit of the memory-backed /dev/shm of each worker (Aeron's log buffers live "
        + "there). Default: 16 publications' worth of three terms plus 256 MiB.")
    public Quantity shmSize;
}
