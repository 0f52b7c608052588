package dev.zeroshard.worker.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Tokenizes a text or JSONL file once into an llm.c token file, and reuses it afterwards.
 *
 * <p>The cache file is named {@code <source name>.<tokenizer id>.<key>.tokens.bin}, where the key
 * hashes the source's size and modification time, the format and the tokenizer id; it sits beside
 * the source, or in a cache directory (where the name also carries a hash of the source's directory,
 * so that equal names from different places do not meet). A later call with the same source and
 * tokenizer maps the existing file; a changed source gets a new file and the stale one of the same
 * source and tokenizer is deleted. The file is written to a temporary name and renamed into place,
 * so concurrent callers (several ranks on one host) at worst tokenize twice and never see half a
 * file.
 *
 * <p>Formats ({@link SourceFormat}):
 * <ul>
 * <li>{@code TEXT}: the whole file, UTF-8, is one document and tokenized as a stream, without any
 * separator (as nanoGPT prepares Shakespeare). Large files are encoded in pieces cut after a newline
 * between ASCII non-whitespace characters, where both tokenizers encode pieces exactly as the whole
 * (see {@link Tokenizer}).</li>
 * <li>{@code JSONL}: one JSON object per line with a string field {@code "text"}; blank lines are
 * skipped. If the tokenizer has an end-of-text token, it precedes every document, first included
 * (llm.c's convention), so every document starts in the same context; otherwise documents simply
 * follow each other.</li>
 * </ul>
 * Invalid UTF-8, invalid JSON or a line without {@code "text"} are refused naming the file and line.
 * Blocking file I/O: call it off any actor dispatcher.
 */
public final class TokenCache {
    /** What the source file holds. */
    public enum SourceFormat {
        /** Plain UTF-8 text, one document. */
        TEXT,
        /** One JSON object per line, its document in the field {@code "text"}. */
        JSONL;

        /** {@code JSONL} for a name ending in {@code .jsonl} (any case), otherwise {@code TEXT}. */
        public static SourceFormat of(final Path source) {
            return source.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl") ? JSONL : TEXT;
        }
    }

    /** Characters of text encoded at a time (at least; a piece ends at the next safe cut). */
    static final int DEFAULT_CHUNK_CHARS = 1 << 20;

    private static final String SUFFIX = ".tokens.bin";
    private static final int READ_BUFFER_BYTES = 1 << 16;
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private TokenCache() {
    }

    /** Tokenizes {@code source} (format from its name) into a cache file beside it, or reuses that file. */
    public static TokenFile tokenize(final Path source, final Tokenizer tokenizer) throws IOException {
        return tokenize(source, SourceFormat.of(source), tokenizer, null, DEFAULT_CHUNK_CHARS);
    }

    /** As {@link #tokenize(Path, Tokenizer)}, with the cache file in {@code cacheDir} (created if missing). */
    public static TokenFile tokenize(final Path source, final Tokenizer tokenizer, final Path cacheDir) throws IOException {
        return tokenize(source, SourceFormat.of(source), tokenizer, requireDir(cacheDir), DEFAULT_CHUNK_CHARS);
    }

    /** As {@link #tokenize(Path, Tokenizer)}, with the format given rather than taken from the name. */
    public static TokenFile tokenize(final Path source, final SourceFormat format, final Tokenizer tokenizer)
        throws IOException {
        return tokenize(source, format, tokenizer, null, DEFAULT_CHUNK_CHARS);
    }

    /** As {@link #tokenize(Path, Tokenizer, Path)}, with the format given. */
    public static TokenFile tokenize(final Path source, final SourceFormat format, final Tokenizer tokenizer,
        final Path cacheDir) throws IOException {
        return tokenize(source, format, tokenizer, requireDir(cacheDir), DEFAULT_CHUNK_CHARS);
    }

    /** Where {@link #tokenize(Path, Tokenizer)} keeps the tokens of {@code source} as it is now. */
    public static Path cachePath(final Path source, final Tokenizer tokenizer) throws IOException {
        return cachePath(source, SourceFormat.of(source), tokenizer, null, Stamp.of(source));
    }

    /** Where {@link #tokenize(Path, SourceFormat, Tokenizer, Path)} keeps the tokens of {@code source} as it is now. */
    public static Path cachePath(final Path source, final SourceFormat format, final Tokenizer tokenizer,
        final Path cacheDir) throws IOException {
        return cachePath(source, format, tokenizer, requireDir(cacheDir), Stamp.of(source));
    }

    /** The worker; {@code cacheDir} null means beside the source. */
    static TokenFile tokenize(final Path source, final SourceFormat format, final Tokenizer tokenizer,
        final Path cacheDir, final int chunkChars) throws IOException {
        if (tokenizer.vocabSize() > TokenFile.MAX_TOKEN + 1) {
            throw new IllegalArgumentException("tokenizer " + tokenizer.id() + " has " + tokenizer.vocabSize()
                + " tokens; a uint16 token file holds at most " + (TokenFile.MAX_TOKEN + 1));
        }
        final Stamp before = Stamp.of(source);
        final Path cache = cachePath(source, format, tokenizer, cacheDir, before);
        if (Files.isRegularFile(cache)) {
            try {
                return TokenFile.open(cache);
            } catch (final MalformedDataException e) {
                // not ours or damaged (the rename makes a torn write impossible): make it again
            }
        }
        Files.createDirectories(cache.getParent());
        try (TokenFileWriter writer = TokenFileWriter.create(cache)) {
            if (format == SourceFormat.JSONL) {
                writeJsonl(source, tokenizer, writer);
            } else {
                writeText(source, tokenizer, writer, chunkChars);
            }
            final Stamp after = Stamp.of(source);
            if (!after.equals(before)) {
                throw new IOException(source + " changed while it was being tokenized (" + before + " -> " + after + ")");
            }
            writer.commit();
        }
        deleteStale(cache);
        return TokenFile.open(cache);
    }

    private static Path requireDir(final Path cacheDir) {
        if (cacheDir == null) {
            throw new IllegalArgumentException("cacheDir is null; use the overload without it to cache beside the source");
        }
        return cacheDir;
    }

    private static Path cachePath(final Path source, final SourceFormat format, final Tokenizer tokenizer,
        final Path cacheDir, final Stamp stamp) {
        final Path absolute = source.toAbsolutePath().normalize();
        final String tokenizerId = tokenizer.id().replaceAll("[^A-Za-z0-9-]", "_");
        final String key = sha256(String.join("\n", "zeroshard-token-cache-v1", format.name(),
            Long.toString(stamp.sizeBytes()), stamp.modified().toString(), tokenizer.id()), 12);
        if (cacheDir == null) {
            return absolute.resolveSibling(absolute.getFileName() + "." + tokenizerId + "." + key + SUFFIX);
        }
        final String where = sha256(String.valueOf(absolute.getParent()), 8);
        return cacheDir.toAbsolutePath().resolve(absolute.getFileName() + "-" + where + "." + tokenizerId + "." + key + SUFFIX);
    }

    /** Deletes other cache files of the same source and tokenizer: the name minus its key. */
    private static void deleteStale(final Path cache) {
        final String name = cache.getFileName().toString();
        final String keyAndSuffix = name.substring(name.lastIndexOf('.', name.length() - SUFFIX.length() - 1));
        final String prefix = name.substring(0, name.length() - keyAndSuffix.length() + 1);
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(cache.getParent(), p -> {
            final String other = p.getFileName().toString();
            return !other.equals(name) && other.startsWith(prefix) && other.endsWith(SUFFIX)
                && other.length() == name.length();
        })) {
            for (final Path stale : siblings) {
                Files.deleteIfExists(stale);
            }
        } catch (final IOException e) {
            // best effort: a stale cache costs disk, not correctness
        }
    }

    private static void writeText(final Path source, final Tokenizer tokenizer, final TokenFileWriter writer,
        final int chunkChars) throws IOException {
        final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        final ByteBuffer in = ByteBuffer.allocate(READ_BUFFER_BYTES);
        final CharBuffer out = CharBuffer.allocate(READ_BUFFER_BYTES);
        final StringBuilder pending = new StringBuilder();
        long bufferStartBytes = 0;
        long line = 1;
        int checkedBelow = 0;
        try (ReadableByteChannel channel = Files.newByteChannel(source)) {
            boolean eof = false;
            while (!eof) {
                eof = channel.read(in) < 0;
                in.flip();
                CoderResult result;
                do {
                    result = decoder.decode(in, out, eof);
                    out.flip();
                    for (int i = out.position(); i < out.limit(); i++) {
                        if (out.get(i) == '\n') {
                            line++;
                        }
                    }
                    pending.append(out);
                    out.clear();
                    if (result.isError()) {
                        throw new MalformedDataException(source + " line " + line + ": not valid UTF-8 at byte offset "
                            + (bufferStartBytes + in.position()));
                    }
                    if (pending.length() >= chunkChars) {
                        final int cut = lastSafeCut(pending, checkedBelow);
                        if (cut > 0) {
                            writeAll(writer, tokenizer.encode(pending.substring(0, cut)));
                            pending.delete(0, cut);
                        }
                        checkedBelow = pending.length();
                    }
                } while (result.isOverflow());
                bufferStartBytes += in.position();
                in.compact();
            }
            decoder.flush(out);
            out.flip();
            pending.append(out);
        }
        writeAll(writer, tokenizer.encode(pending.toString()));
    }

    /**
     * The last position {@code k >= checkedBelow} with {@code text[k-1] == '\n'} between ASCII
     * non-whitespace characters, or 0: cutting there leaves every pre-token whole.
     */
    static int lastSafeCut(final CharSequence text, final int checkedBelow) {
        for (int k = text.length() - 1; k >= Math.max(2, checkedBelow); k--) {
            if (text.charAt(k - 1) == '\n' && isAsciiGraphic(text.charAt(k - 2)) && isAsciiGraphic(text.charAt(k))) {
                return k;
            }
        }
        return 0;
    }

    private static boolean isAsciiGraphic(final char c) {
        return c > ' ' && c < 0x7F;
    }

    private static void writeJsonl(final Path source, final Tokenizer tokenizer, final TokenFileWriter writer)
        throws IOException {
        final OptionalInt endOfText = tokenizer.endOfText();
        final byte[] buffer = new byte[READ_BUFFER_BYTES];
        byte[] line = new byte[READ_BUFFER_BYTES];
        int lineLength = 0;
        long lineNumber = 0;
        try (InputStream in = Files.newInputStream(source)) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                int start = 0;
                for (int i = 0; i < read; i++) {
                    if (buffer[i] == '\n') {
                        line = append(line, lineLength, buffer, start, i - start);
                        lineLength += i - start;
                        lineNumber++;
                        writeDocument(source, lineNumber, line, lineLength, tokenizer, endOfText, writer);
                        lineLength = 0;
                        start = i + 1;
                    }
                }
                line = append(line, lineLength, buffer, start, read - start);
                lineLength += read - start;
            }
        }
        if (lineLength > 0) {
            writeDocument(source, lineNumber + 1, line, lineLength, tokenizer, endOfText, writer);
        }
    }

    /** Appends {@code src[from, from + count)} to {@code line[0, length)}, growing it if needed. */
    private static byte[] append(final byte[] line, final int length, final byte[] src, final int from, final int count) {
        final byte[] target = length + count <= line.length ? line : Arrays.copyOf(line, Math.max(2 * line.length, length + count));
        System.arraycopy(src, from, target, length, count);
        return target;
    }

    private static void writeDocument(final Path source, final long lineNumber, final byte[] line, final int length,
        final Tokenizer tokenizer, final OptionalInt endOfText, final TokenFileWriter writer) throws IOException {
        boolean blank = true;
        for (int i = 0; i < length && blank; i++) {
            blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
        }
        if (blank) {
            return;
        }
        final JsonNode node;
        try {
            node = JSON.readTree(line, 0, length);
        } catch (final JsonProcessingException e) {
            throw new MalformedDataException(source + " line " + lineNumber + ": not a JSON object: " + e.getOriginalMessage(), e);
        }
        if (!node.isObject()) {
            throw new MalformedDataException(source + " line " + lineNumber + ": expected a JSON object, found " + node.getNodeType());
        }
        final JsonNode text = node.get("text");
        if (text == null || !text.isTextual()) {
            throw new MalformedDataException(source + " line " + lineNumber + ": no string field \"text\"");
        }
        if (endOfText.isPresent()) {
            writer.write(endOfText.getAsInt());
        }
        writeAll(writer, tokenizer.encode(text.textValue()));
    }

    private static void writeAll(final TokenFileWriter writer, final int[] tokens) throws IOException {
        writer.write(tokens, 0, tokens.length);
    }

    private static String sha256(final String text, final int bytes) {
        try {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, bytes);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** What the cache key knows about the source. */
    private record Stamp(long sizeBytes, FileTime modified) {
        static Stamp of(final Path source) throws IOException {
            return new Stamp(Files.size(source), Files.getLastModifiedTime(source));
        }
    }
}
