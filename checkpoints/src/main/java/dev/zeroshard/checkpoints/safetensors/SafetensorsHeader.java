package dev.zeroshard.checkpoints.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file: parsing with every check the format implies, and encoding. Package
 * private: {@link SafetensorsReader} and {@link SafetensorsWriter} are the API.
 */
final class SafetensorsHeader {
    /** The key of the free-form string-to-string map. */
    static final String METADATA_KEY = "__metadata__";
    /** Largest header accepted, as in the reference implementation (a guard against parsing a hostile file). */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The writer pads the header so the data section starts at a multiple of this, as Hugging Face does. */
    static final int HEADER_ALIGNMENT_BYTES = 8;

    private static final JsonFactory JSON = JsonFactory.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();

    private final List<TensorInfo> tensorsInFileOrder;
    private final Map<String, String> metadata;

    private SafetensorsHeader(final List<TensorInfo> tensorsInFileOrder, final Map<String, String> metadata) {
        this.tensorsInFileOrder = tensorsInFileOrder;
        this.metadata = metadata;
    }

    /** The tensors sorted by their place in the data section. */
    List<TensorInfo> tensorsInFileOrder() {
        return tensorsInFileOrder;
    }

    /** The {@code __metadata__} map, empty when absent. */
    Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Parses and checks a header.
     *
     * @param file             named in every error.
     * @param headerBytes      the {@code N} header bytes (after the 8-byte length).
     * @param dataLengthBytes  bytes in the file after the header; the tensors must tile exactly this range.
     */
    static SafetensorsHeader parse(final Path file, final byte[] headerBytes, final long dataLengthBytes)
        throws SafetensorsException {
        if (headerBytes.length == 0 || headerBytes[0] != '{') {
            throw new SafetensorsException(file, "header does not start with '{' (header length "
                + headerBytes.length + ")");
        }
        final String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(headerBytes))
                .toString();
        } catch (final CharacterCodingException e) {
            throw new SafetensorsException(file, null, "header is not valid UTF-8", e);
        }
        final List<TensorInfo> tensors = new ArrayList<>();
        final Map<String, String> metadata = new LinkedHashMap<>();
        try (JsonParser parser = JSON.createParser(json)) {
            expect(file, null, parser.nextToken(), JsonToken.START_OBJECT, "the header");
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                final String name = parser.currentName();
                parser.nextToken();
                if (METADATA_KEY.equals(name)) {
                    parseMetadata(file, parser, metadata);
                } else {
                    tensors.add(parseTensor(file, name, parser));
                }
            }
            expect(file, null, token, JsonToken.END_OBJECT, "the end of the header");
            final JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                throw new SafetensorsException(file, "header has content after its closing '}': " + trailing);
            }
        } catch (final JsonProcessingException e) {
            throw new SafetensorsException(file, null, "header is not valid JSON: " + e.getOriginalMessage()
                + " at " + e.getLocation().offsetDescription(), e);
        } catch (final IOException e) {
            if (e instanceof SafetensorsException) {
                throw (SafetensorsException) e;
            }
            throw new SafetensorsException(file, null, "header cannot be parsed: " + e.getMessage(), e);
        }
        checkTensors(file, tensors, dataLengthBytes);
        tensors.sort(Comparator.comparingLong(TensorInfo::beginBytes)
            .thenComparingLong(TensorInfo::endBytes)
            .thenComparing(TensorInfo::name));
        checkTiling(file, tensors, dataLengthBytes);
        return new SafetensorsHeader(Collections.unmodifiableList(tensors), Collections.unmodifiableMap(metadata));
    }

    /**
     * Encodes a header for these tensors, packed in this order from offset 0, padded with spaces to a multiple of
     * {@link #HEADER_ALIGNMENT_BYTES}. Each tensor's data must start at a multiple of its dtype size (so a reader
     * can view it in place): declare wider dtypes first when mixing them.
     */
    static byte[] encode(final List<TensorSpec> tensors, final Map<String, String> metadata) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            if (!metadata.isEmpty()) {
                json.writeObjectFieldStart(METADATA_KEY);
                for (final Map.Entry<String, String> entry : metadata.entrySet()) {
                    json.writeStringField(entry.getKey(), entry.getValue());
                }
                json.writeEndObject();
            }
            long offsetBytes = 0;
            for (final TensorSpec tensor : tensors) {
                if (offsetBytes % tensor.dtype().sizeBytes() != 0) {
                    throw new IllegalArgumentException("tensor " + tensor.name() + " (" + tensor.dtype()
                        + ") would start at byte " + offsetBytes + ", not a multiple of its element size "
                        + tensor.dtype().sizeBytes() + ": declare wider dtypes first");
                }
                final long endBytes = Math.addExact(offsetBytes, tensor.lengthBytes());
                json.writeObjectFieldStart(tensor.name());
                json.writeStringField("dtype", tensor.dtype().name());
                json.writeArrayFieldStart("shape");
                for (final long dim : tensor.shape()) {
                    json.writeNumber(dim);
                }
                json.writeEndArray();
                json.writeArrayFieldStart("data_offsets");
                json.writeNumber(offsetBytes);
                json.writeNumber(endBytes);
                json.writeEndArray();
                json.writeEndObject();
                offsetBytes = endBytes;
            }
            json.writeEndObject();
        } catch (final IOException e) {
            throw new IllegalStateException("writing JSON to memory failed", e);
        }
        final int padding = (HEADER_ALIGNMENT_BYTES - out.size() % HEADER_ALIGNMENT_BYTES) % HEADER_ALIGNMENT_BYTES;
        for (int i = 0; i < padding; i++) {
            out.write(' ');
        }
        return out.toByteArray();
    }

    private static void parseMetadata(final Path file, final JsonParser parser, final Map<String, String> metadata)
        throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) {
            return;
        }
        expect(file, null, parser.currentToken(), JsonToken.START_OBJECT, METADATA_KEY);
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            final String key = parser.currentName();
            final JsonToken value = parser.nextToken();
            if (value != JsonToken.VALUE_STRING) {
                throw new SafetensorsException(file, METADATA_KEY + " value of '" + key
                    + "' must be a string, found " + value);
            }
            metadata.put(key, parser.getText());
        }
    }

    private static TensorInfo parseTensor(final Path file, final String name, final JsonParser parser)
        throws IOException {
        expect(file, name, parser.currentToken(), JsonToken.START_OBJECT, "its entry");
        Dtype dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            final String key = parser.currentName();
            final JsonToken value = parser.nextToken();
            switch (key) {
                case "dtype" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        throw new SafetensorsException(file, name, "dtype must be a string, found " + value);
                    }
                    dtype = Dtype.fromHeaderName(parser.getText());
                    if (dtype == null) {
                        throw new SafetensorsException(file, name, "unknown dtype '" + parser.getText()
                            + "'; known: " + Arrays.toString(Dtype.values()));
                    }
                }
                case "shape" -> shape = parseCounts(file, name, parser, key);
                case "data_offsets" -> {
                    offsets = parseCounts(file, name, parser, key);
                    if (offsets.length != 2) {
                        throw new SafetensorsException(file, name, "data_offsets must hold 2 numbers [begin, end], found "
                            + offsets.length);
                    }
                }
                default -> throw new SafetensorsException(file, name, "unknown key '" + key
                    + "' (expected dtype, shape, data_offsets)");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            final String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw new SafetensorsException(file, name, "missing key '" + missing + "'");
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** An array of non-negative integers that fit a long. */
    private static long[] parseCounts(final Path file, final String name, final JsonParser parser, final String key)
        throws IOException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw new SafetensorsException(file, name, key + " must be an array of integers, found "
                + parser.currentToken());
        }
        long[] values = new long[4];
        int count = 0;
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (token != JsonToken.VALUE_NUMBER_INT) {
                throw new SafetensorsException(file, name, key + " must hold integers only, found " + token
                    + " '" + parser.getText() + "'");
            }
            if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw new SafetensorsException(file, name, key + " value " + parser.getText() + " is too large");
            }
            final long value = parser.getLongValue();
            if (value < 0) {
                throw new SafetensorsException(file, name, key + " value " + value + " is negative");
            }
            if (count == values.length) {
                values = Arrays.copyOf(values, count * 2);
            }
            values[count++] = value;
        }
        return Arrays.copyOf(values, count);
    }

    private static void expect(final Path file, final String name, final JsonToken found, final JsonToken expected,
                               final String what) throws SafetensorsException {
        if (found != expected) {
            throw new SafetensorsException(file, name, "expected " + expected + " for " + what + ", found " + found);
        }
    }

    /** Each tensor on its own: offsets forward, byte length matching dtype × shape, inside the data section. */
    private static void checkTensors(final Path file, final List<TensorInfo> tensors, final long dataLengthBytes)
        throws SafetensorsException {
        for (final TensorInfo tensor : tensors) {
            final String offsets = "data_offsets [" + tensor.beginBytes() + ", " + tensor.endBytes() + "]";
            if (tensor.endBytes() < tensor.beginBytes()) {
                throw new SafetensorsException(file, tensor.name(), offsets + " run backwards");
            }
            final long expectedBytes;
            try {
                expectedBytes = Math.multiplyExact(tensor.lengthElements(), tensor.dtype().sizeBytes());
            } catch (final ArithmeticException e) {
                throw new SafetensorsException(file, tensor.name(), "shape " + Arrays.toString(tensor.shape())
                    + " overflows a 64-bit byte count");
            }
            if (tensor.lengthBytes() != expectedBytes) {
                throw new SafetensorsException(file, tensor.name(), offsets + " hold " + tensor.lengthBytes()
                    + " bytes but dtype " + tensor.dtype() + " x shape " + Arrays.toString(tensor.shape())
                    + " needs " + expectedBytes);
            }
            if (tensor.endBytes() > dataLengthBytes) {
                throw new SafetensorsException(file, tensor.name(), offsets + " exceed the data section of "
                    + dataLengthBytes + " bytes (file truncated?)");
            }
        }
    }

    /** Together, sorted by offset: no overlap, no gap, nothing after the last tensor. */
    private static void checkTiling(final Path file, final List<TensorInfo> sorted, final long dataLengthBytes)
        throws SafetensorsException {
        long expectedBegin = 0;
        TensorInfo previous = null;
        for (final TensorInfo tensor : sorted) {
            if (tensor.beginBytes() < expectedBegin) {
                throw new SafetensorsException(file, tensor.name(), "data_offsets [" + tensor.beginBytes() + ", "
                    + tensor.endBytes() + "] overlap tensor '" + previous.name() + "' at [" + previous.beginBytes()
                    + ", " + previous.endBytes() + "]");
            }
            if (tensor.beginBytes() > expectedBegin) {
                throw new SafetensorsException(file, tensor.name(), "data_offsets [" + tensor.beginBytes() + ", "
                    + tensor.endBytes() + "] leave a gap of " + (tensor.beginBytes() - expectedBegin)
                    + " bytes after " + (previous == null ? "the start of the data section"
                    : "tensor '" + previous.name() + "' ending at " + previous.endBytes()));
            }
            expectedBegin = tensor.endBytes();
            previous = tensor;
        }
        if (expectedBegin != dataLengthBytes) {
            throw new SafetensorsException(file, (dataLengthBytes - expectedBegin) + " bytes after "
                + (previous == null ? "the header (no tensors)" : "the last tensor '" + previous.name()
                + "' ending at " + expectedBegin) + " belong to no tensor (data section is " + dataLengthBytes
                + " bytes)");
        }
    }
}
