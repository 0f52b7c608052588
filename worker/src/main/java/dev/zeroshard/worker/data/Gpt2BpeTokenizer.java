package dev.zeroshard.worker.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level BPE, read from the published vocabulary and merge list.
 *
 * <p>Encoding follows OpenAI's reference encoder step by step:
 * <ol>
 * <li>the text is split into pre-tokens by {@link #PRETOKENIZE} (contractions, a letter run, a
 * digit run or a run of other symbols, each with at most one leading space, and whitespace runs,
 * where the last space before a word is left to that word);</li>
 * <li>each pre-token is encoded as UTF-8 and every byte becomes its single-byte token (GPT-2 names
 * the 256 bytes with printable characters, see {@link #byteToChar(int)});</li>
 * <li>merges are applied in rounds: each round takes the adjacent pair with the lowest rank (its line
 * in the merge list) and merges all its occurrences left to right; rounds end when no adjacent pair
 * has a rank.</li>
 * </ol>
 * Pre-tokens are cached (up to 65,536 of them, then the cache starts over).
 *
 * <p>Whitespace in the pattern is Unicode White_Space. The reference encoders differ slightly here:
 * Python's and Rust's agree with this one, JavaScript's also counts U+FEFF and not U+0085.
 *
 * <p>{@link #encode} never produces {@code <|endoftext|>}: text that spells it out is encoded as
 * text, as the reference does. Vocabulary entries whose characters are not all byte names (added
 * special tokens) decode to their own UTF-8. Immutable apart from the cache; thread-safe.
 */
public final class Gpt2BpeTokenizer implements Tokenizer {
    /** The document separator of GPT-2's vocabulary. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** GPT-2's pre-tokenisation pattern, written for java.util.regex. */
    public static final Pattern PRETOKENIZE = Pattern.compile(
        "'s|'t|'re|'ve|'m|'ll|'d"
            + "| ?\\p{L}+| ?\\p{N}+| ?[^\\p{IsWhite_Space}\\p{L}\\p{N}]+"
            + "|\\p{IsWhite_Space}+(?!\\P{IsWhite_Space})|\\p{IsWhite_Space}+");

    static final int CACHE_CAPACITY = 1 << 16;

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int unprintable = 0;
        for (int b = 0; b < 256; b++) {
            final boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            // unprintable bytes are renamed 256, 257, ... in byte order so that no token contains a space or control
            final char c = (char)(printable ? b : 256 + unprintable++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private final int vocabSize;
    private final byte[][] bytesById;
    private final int[] byteToId;
    private final PairRanks ranks;
    private final int[] mergeLeft;
    private final int[] mergeRight;
    private final int[] mergeResult;
    private final int endOfText;
    private final String id;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    private Gpt2BpeTokenizer(final Vocab vocab, final Merges merges) {
        this.vocabSize = vocab.bytesById.length;
        this.bytesById = vocab.bytesById;
        this.byteToId = vocab.byteToId;
        this.mergeLeft = merges.left;
        this.mergeRight = merges.right;
        this.mergeResult = merges.result;
        this.ranks = merges.ranks;
        final Integer eot = vocab.idByToken.get(END_OF_TEXT);
        this.endOfText = eot == null ? -1 : eot;
        this.id = "gpt2-bpe-" + contentHash(vocab, merges);
    }

    /**
     * Reads {@code vocab.json} + {@code merges.txt} (Hugging Face's names) or, failing those,
     * {@code encoder.json} + {@code vocab.bpe} (OpenAI's names) from {@code dir}.
     *
     * @throws NoSuchFileException if neither pair is there.
     * @throws MalformedDataException naming the file and line of the first malformed entry.
     */
    public static Gpt2BpeTokenizer fromDirectory(final Path dir) throws IOException {
        final Path vocabJson = dir.resolve("vocab.json");
        final Path mergesTxt = dir.resolve("merges.txt");
        if (Files.exists(vocabJson) || Files.exists(mergesTxt)) {
            return fromFiles(vocabJson, mergesTxt);
        }
        final Path encoderJson = dir.resolve("encoder.json");
        final Path vocabBpe = dir.resolve("vocab.bpe");
        if (Files.exists(encoderJson) || Files.exists(vocabBpe)) {
            return fromFiles(encoderJson, vocabBpe);
        }
        throw new NoSuchFileException(dir.toString(), null,
            "no GPT-2 BPE files: expected vocab.json + merges.txt (Hugging Face) or encoder.json + vocab.bpe (OpenAI)");
    }

    /**
     * Reads a vocabulary (a JSON object from token to id) and a merge list (an optional
     * {@code #version} line, then one {@code left right} pair per line, most important first).
     */
    public static Gpt2BpeTokenizer fromFiles(final Path vocabFile, final Path mergesFile) throws IOException {
        final Vocab vocab = Vocab.read(vocabFile);
        return new Gpt2BpeTokenizer(vocab, Merges.read(mergesFile, vocab));
    }

    /** The printable character GPT-2 uses to name byte {@code b} (0..255) inside tokens. */
    public static char byteToChar(final int b) {
        return BYTE_TO_CHAR[b];
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public OptionalInt endOfText() {
        return endOfText < 0 ? OptionalInt.empty() : OptionalInt.of(endOfText);
    }

    /** Number of merges (ranks). */
    public int mergeCount() {
        return mergeResult.length;
    }

    @Override
    public int[] encode(final String text) {
        int[] out = new int[text.length() / 3 + 16];
        int count = 0;
        byte[] scratch = new byte[64];
        final Matcher matcher = PRETOKENIZE.matcher(text);
        while (matcher.find()) {
            final int start = matcher.start();
            final int end = matcher.end();
            final String piece = text.substring(start, end);
            int[] pieceIds = cache.get(piece);
            if (pieceIds == null) {
                if (scratch.length < Utf8.MAX_BYTES_PER_CHAR * piece.length()) {
                    scratch = new byte[Utf8.MAX_BYTES_PER_CHAR * piece.length()];
                }
                pieceIds = bpe(scratch, Utf8.encode(piece, 0, piece.length(), scratch, 0));
                if (cache.size() >= CACHE_CAPACITY) {
                    cache.clear();
                }
                cache.put(piece, pieceIds);
            }
            if (count + pieceIds.length > out.length) {
                out = Arrays.copyOf(out, Math.max(2 * out.length, count + pieceIds.length));
            }
            System.arraycopy(pieceIds, 0, out, count, pieceIds.length);
            count += pieceIds.length;
        }
        return Arrays.copyOf(out, count);
    }

    @Override
    public String decode(final int[] ids, final int from, final int to) {
        ByteTokenizer.checkRange(ids, from, to);
        int length = 0;
        for (int i = from; i < to; i++) {
            length += tokenBytes(ids, i).length;
        }
        final byte[] bytes = new byte[length];
        int offset = 0;
        for (int i = from; i < to; i++) {
            final byte[] token = tokenBytes(ids, i);
            System.arraycopy(token, 0, bytes, offset, token.length);
            offset += token.length;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "Gpt2BpeTokenizer[vocab=" + vocabSize + ", merges=" + mergeResult.length + ", id=" + id + "]";
    }

    private byte[] tokenBytes(final int[] ids, final int index) {
        final int tokenId = ids[index];
        if (tokenId < 0 || tokenId >= vocabSize || bytesById[tokenId] == null) {
            throw new IllegalArgumentException("token id " + tokenId + " at index " + index + " is not in the vocabulary (size " + vocabSize + ")");
        }
        return bytesById[tokenId];
    }

    /**
     * Applies the merges to the byte tokens of one pre-token. Nodes form a linked list over the
     * original byte positions (a merged node keeps its left position), so position order is word
     * order; a heap of (rank, position) yields each round's occurrences left to right, and entries
     * made stale by an earlier merge are recognised by their ids no longer matching the pair.
     */
    private int[] bpe(final byte[] bytes, final int length) {
        final int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = byteToId[bytes[i] & 0xFF];
        }
        if (length < 2) {
            return ids;
        }
        final int[] next = new int[length];
        final int[] prev = new int[length];
        // at most length-1 initial pairs and 2 new ones per merge, of which there are at most length-1
        final LongHeap heap = new LongHeap(3 * length);
        for (int i = 0; i < length; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
            if (i + 1 < length) {
                pushPair(heap, ids[i], ids[i + 1], i);
            }
        }
        final int[] round = new int[3 * length];
        int alive = length;
        while (!heap.isEmpty()) {
            final int rank = (int)(heap.peek() >>> 32);
            int count = 0;
            while (!heap.isEmpty() && (int)(heap.peek() >>> 32) == rank) {
                round[count++] = (int)heap.pop();
            }
            final int left = mergeLeft[rank];
            final int right = mergeRight[rank];
            final int merged = mergeResult[rank];
            for (int k = 0; k < count; k++) {
                final int pos = round[k];
                final int after = next[pos];
                if (ids[pos] != left || after >= length || ids[after] != right) {
                    continue;
                }
                ids[pos] = merged;
                ids[after] = -1;
                final int afterNext = next[after];
                next[pos] = afterNext;
                if (afterNext < length) {
                    prev[afterNext] = pos;
                    pushPair(heap, merged, ids[afterNext], pos);
                }
                if (prev[pos] >= 0) {
                    pushPair(heap, ids[prev[pos]], merged, prev[pos]);
                }
                alive--;
            }
        }
        final int[] result = new int[alive];
        int out = 0;
        for (int pos = 0; pos < length; pos = next[pos]) {
            result[out++] = ids[pos];
        }
        return result;
    }

    private void pushPair(final LongHeap heap, final int left, final int right, final int position) {
        final int rank = ranks.get(left, right);
        if (rank >= 0) {
            heap.push(((long)rank << 32) | position);
        }
    }

    private static String contentHash(final Vocab vocab, final Merges merges) {
        final MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        final ByteBuffer number = ByteBuffer.allocate(4);
        for (int id = 0; id < vocab.bytesById.length; id++) {
            final byte[] token = vocab.bytesById[id];
            if (token != null) {
                digest.update(number.clear().putInt(id).array());
                digest.update(number.clear().putInt(token.length).array());
                digest.update(token);
            }
        }
        for (int rank = 0; rank < merges.result.length; rank++) {
            digest.update(number.clear().putInt(merges.left[rank]).array());
            digest.update(number.clear().putInt(merges.right[rank]).array());
        }
        return HexFormat.of().formatHex(digest.digest(), 0, 8);
    }

    private static MalformedDataException malformed(final Path file, final long line, final String what) {
        return new MalformedDataException(file + " line " + line + ": " + what);
    }

    /** The vocabulary: token strings (in GPT-2's byte names) to ids, and each id's bytes. */
    private static final class Vocab {
        final Map<String, Integer> idByToken;
        final byte[][] bytesById;
        final int[] byteToId;

        private Vocab(final Map<String, Integer> idByToken, final byte[][] bytesById, final int[] byteToId) {
            this.idByToken = idByToken;
            this.bytesById = bytesById;
            this.byteToId = byteToId;
        }

        static Vocab read(final Path file) throws IOException {
            final Map<String, Integer> idByToken = new HashMap<>();
            final Map<Integer, String> tokenById = new HashMap<>();
            int maxId = -1;
            try (InputStream in = Files.newInputStream(file); JsonParser parser = new JsonFactory().createParser(in)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    throw malformed(file, parser.currentLocation().getLineNr(), "expected a JSON object from token to id");
                }
                JsonToken token;
                while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                    final String name = parser.currentName();
                    final long line = parser.currentLocation().getLineNr();
                    if (parser.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                        throw malformed(file, line, "the id of token " + quote(name) + " is not an integer: " + parser.getText());
                    }
                    final long value = parser.getLongValue();
                    if (value < 0 || value >= Integer.MAX_VALUE) {
                        throw malformed(file, line, "the id of token " + quote(name) + " is out of range: " + value);
                    }
                    final int id = (int)value;
                    if (idByToken.putIfAbsent(name, id) != null) {
                        throw malformed(file, line, "token " + quote(name) + " appears twice");
                    }
                    final String other = tokenById.putIfAbsent(id, name);
                    if (other != null) {
                        throw malformed(file, line, "id " + id + " is given to both " + quote(other) + " and " + quote(name));
                    }
                    maxId = Math.max(maxId, id);
                }
                if (token != JsonToken.END_OBJECT) {
                    throw malformed(file, parser.currentLocation().getLineNr(), "expected a token name or '}', found " + token);
                }
                if (parser.nextToken() != null) {
                    throw malformed(file, parser.currentLocation().getLineNr(), "unexpected content after the vocabulary object");
                }
            } catch (final JsonProcessingException e) {
                final long line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
                throw new MalformedDataException(file + " line " + line + ": " + e.getOriginalMessage(), e);
            }
            final byte[][] bytesById = new byte[maxId + 1][];
            for (final Map.Entry<String, Integer> entry : idByToken.entrySet()) {
                bytesById[entry.getValue()] = tokenBytes(entry.getKey());
            }
            final int[] byteToId = new int[256];
            for (int b = 0; b < 256; b++) {
                final Integer id = idByToken.get(String.valueOf(BYTE_TO_CHAR[b]));
                if (id == null) {
                    throw new MalformedDataException(file + ": no token for byte 0x" + HexFormat.of().toHexDigits((byte)b)
                        + " (" + quote(String.valueOf(BYTE_TO_CHAR[b])) + "); a byte-level vocabulary needs all 256");
                }
                byteToId[b] = id;
            }
            return new Vocab(idByToken, bytesById, byteToId);
        }

        /** A token's bytes: its characters are byte names, except in added tokens, which stand for their UTF-8. */
        private static byte[] tokenBytes(final String token) {
            final byte[] bytes = new byte[token.length()];
            for (int i = 0; i < token.length(); i++) {
                final char c = token.charAt(i);
                final int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
                if (b < 0) {
                    return token.getBytes(StandardCharsets.UTF_8);
                }
                bytes[i] = (byte)b;
            }
            return bytes;
        }
    }

    /** The merge list: per rank, the pair and the token it makes, and the reverse lookup. */
    private static final class Merges {
        final int[] left;
        final int[] right;
        final int[] result;
        final PairRanks ranks;

        private Merges(final int[] left, final int[] right, final int[] result, final PairRanks ranks) {
            this.left = left;
            this.right = right;
            this.result = result;
            this.ranks = ranks;
        }

        static Merges read(final Path file, final Vocab vocab) throws IOException {
            final List<int[]> merges = new ArrayList<>();
            final List<Integer> lines = new ArrayList<>();
            long lineNumber = 0;
            try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lineNumber++;
                    if (line.isEmpty() || (lineNumber == 1 && line.startsWith("#version"))) {
                        continue;
                    }
                    final int space = line.indexOf(' ');
                    if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
                        throw malformed(file, lineNumber, "expected two tokens separated by one space, found " + quote(line));
                    }
                    final String leftToken = line.substring(0, space);
                    final String rightToken = line.substring(space + 1);
                    merges.add(new int[] {
                        lookup(vocab, file, lineNumber, leftToken),
                        lookup(vocab, file, lineNumber, rightToken),
                        lookup(vocab, file, lineNumber, leftToken + rightToken)});
                    lines.add(Math.toIntExact(lineNumber));
                }
            } catch (final CharacterCodingException e) {
                throw malformed(file, lineNumber + 1, "not valid UTF-8");
            }
            final int count = merges.size();
            final int[] left = new int[count];
            final int[] right = new int[count];
            final int[] result = new int[count];
            final PairRanks ranks = new PairRanks(count);
            for (int rank = 0; rank < count; rank++) {
                final int[] merge = merges.get(rank);
                left[rank] = merge[0];
                right[rank] = merge[1];
                result[rank] = merge[2];
                final int earlier = ranks.putIfAbsent(merge[0], merge[1], rank);
                if (earlier >= 0) {
                    throw malformed(file, lines.get(rank), "repeats the merge of line " + lines.get(earlier));
                }
            }
            return new Merges(left, right, result, ranks);
        }

        private static int lookup(final Vocab vocab, final Path file, final long line, final String token) {
            final Integer id = vocab.idByToken.get(token);
            if (id == null) {
                throw malformed(file, line, "token " + quote(token) + " is not in the vocabulary");
            }
            return id;
        }
    }

    private static String quote(final String token) {
        return "'" + token + "'";
    }

    /** Open-addressing map from a pair of token ids to its merge rank; -1 when absent. */
    static final class PairRanks {
        private static final long EMPTY = -1L;

        private final long[] keys;
        private final int[] values;
        private final int mask;
        private final int shift;

        PairRanks(final int expected) {
            int capacity = 16;
            while (capacity < 2 * expected) {
                capacity <<= 1;
            }
            keys = new long[capacity];
            values = new int[capacity];
            mask = capacity - 1;
            shift = Long.numberOfLeadingZeros(capacity - 1L);
            Arrays.fill(keys, EMPTY);
        }

        int get(final int left, final int right) {
            final long key = key(left, right);
            for (int slot = slot(key); ; slot = (slot + 1) & mask) {
                final long k = keys[slot];
                if (k == key) {
                    return values[slot];
                }
                if (k == EMPTY) {
                    return -1;
                }
            }
        }

        /** Inserts unless present; returns the existing value, or -1 if it was inserted. */
        int putIfAbsent(final int left, final int right, final int value) {
            final long key = key(left, right);
            for (int slot = slot(key); ; slot = (slot + 1) & mask) {
                final long k = keys[slot];
                if (k == key) {
                    return values[slot];
                }
                if (k == EMPTY) {
                    keys[slot] = key;
                    values[slot] = value;
                    return -1;
                }
            }
        }

        private static long key(final int left, final int right) {
            return ((long)left << 32) | (right & 0xFFFFFFFFL);
        }

        private int slot(final long key) {
            // Fibonacci hashing: the top bits of key * 2^64/phi
            return (int)((key * 0x9E3779B97F4A7C15L) >>> shift);
        }
    }

    /** A binary min-heap of longs with a fixed capacity. */
    private static final class LongHeap {
        private final long[] heap;
        private int size;

        LongHeap(final int capacity) {
            heap = new long[capacity];
        }

        boolean isEmpty() {
            return size == 0;
        }

        long peek() {
            return heap[0];
        }

        void push(final long value) {
            int i = size++;
            while (i > 0) {
                final int parent = (i - 1) >>> 1;
                if (heap[parent] <= value) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = value;
        }

        long pop() {
            final long top = heap[0];
            final long last = heap[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && heap[child + 1] < heap[child]) {
                    child++;
                }
                if (heap[child] >= last) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
        }
    }
}
